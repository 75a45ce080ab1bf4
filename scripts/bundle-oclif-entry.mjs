// bin/run.js's way into oclif: execute from the copy of @oclif/core bundled with the commands.
export {execute} from '@oclif/core'
