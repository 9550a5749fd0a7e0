// Account names as a request gives them (a query parameter, a field): no schema, so that the
// modules that only split names build none.

/** One name, or several separated by commas. */
export function splitAccountNames(names: string | undefined): string[] {
  return (names ?? '').split(',').map((n) => n.trim()).filter((n) => n !== '');
}
