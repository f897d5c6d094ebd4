import "server-only";

/**
 * A URL as it may be shown in a message, a log or a response: scheme, host and path; never its
 * credentials, query string (a SAS) or fragment, even when it does not parse.
 */
export function redactUrl(value: string): string {
  try {
    const url = new URL(value);
    return `${url.origin}${url.pathname}`;
  } catch {
    // Credentials first: a password may hold a "?" or "#" that is not a query's or fragment's.
    return value.replace(/^([^/\\]*[/\\]{2})[^/\\]*@/, "$1").replace(/[?#].*$/s, "");
  }
}
