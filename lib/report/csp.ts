// The pages' Content-Security-Policy: nothing loads from anywhere; inline script and style only.
// `connect`: whether the page's script may call the API it came from (the console) or nothing.
export const pageCsp = (connect: "'none'" | "'self'"): string =>
  `default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src ${connect}; base-uri 'none'; form-action 'none'`;
