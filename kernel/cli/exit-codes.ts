/** Process exit codes of `rimuru-kernel`; scripts can tell a typo from a failure. */
export const ExitCode = {
  OK: 0,
  /** Something went wrong at run time (a plugin, a service, the disk). */
  FAILURE: 1,
  /** The command line was wrong: unknown command or option, missing argument. */
  USAGE: 2,
  /** The configuration file or environment is invalid (sysexits EX_CONFIG). */
  CONFIG: 78,
} as const;
