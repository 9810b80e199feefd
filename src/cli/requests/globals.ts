/**
 * The global options of a command line that say where the API is and who signs
 * (`--api`, `--region`, `--aws-profile`): the commands the access-request commands print
 * repeat them, so they work as shown in the same shell.
 */

import type { Command } from 'commander';

export interface GlobalWords {
  api?: string;
  region?: string;
  awsProfile?: string;
}

/** The global options given on `command`'s command line. */
export function globalWords(command: Command): GlobalWords {
  const globals = command.optsWithGlobals<{ api?: string; region?: string; awsProfile?: string }>();
  return {
    ...(globals.api === undefined ? {} : { api: globals.api }),
    ...(globals.region === undefined ? {} : { region: globals.region }),
    ...(globals.awsProfile === undefined ? {} : { awsProfile: globals.awsProfile }),
  };
}
