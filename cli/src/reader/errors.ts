/**
 * Errors the CLI reports as one line on stderr (never a stack trace).
 * UsageError -> exit 2 (the command line is wrong: a missing path, a bad option value);
 * DataError  -> exit 1 (the input is unusable: a folder with no logs, a corrupt .gz, no such session).
 */
export class UsageError extends Error {
  readonly exitCode = 2;
}

export class DataError extends Error {
  readonly exitCode = 1;
}
