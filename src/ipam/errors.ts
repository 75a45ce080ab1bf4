// IPAM failures, all CalicoErrors so the CLI prints them as one line and exits 1.
import {CalicoError} from '../resources/errors.js'

export class IpamError extends CalicoError {}

/** Fewer addresses could be assigned than were asked for. */
export class InsufficientAddressesError extends IpamError {
  constructor(
    message: string,
    readonly requested: number,
    readonly assigned: number,
  ) {
    super(message)
  }
}

/** The node already holds as many blocks as `maxBlocksPerHost` allows. */
export class BlockLimitError extends IpamError {}

/** An address asked for by name is already taken. */
export class AddressInUseError extends IpamError {}

/** Too many compare-and-swap conflicts in a row: someone else keeps winning. */
export class ContentionError extends IpamError {}
