/** Replace the password of every postgres:// URL (and password=... pairs) in a text with ****. */
export function maskSecrets(text: string): string {
  return text
    .replace(/(postgres(?:ql)?:\/\/[^:/@\s]*:)([^@\s]*)@/gi, '$1****@')
    .replace(/(password\s*=\s*)('[^']*'|\S+)/gi, '$1****')
    .replace(/(\bPASSWORD\s+)(E?'(?:[^']|'')*')/gi, "$1'****'");
}

/** A connection URL with its password masked, for messages and reports. */
export function maskUrl(url: string): string {
  return maskSecrets(url);
}

/**
 * PostgreSQL error details can quote row values ("Key (email)=(a@b.c) already exists.",
 * "Failing row contains (...)"); reports never carry row data, so the values are cut out.
 */
export function stripRowData(detail: string): string {
  return detail.replace(/(Key \((?:[^()]|\([^()]*\))*\)=)\((?:[^()]|\([^()]*\))*\)/g, '$1(…)').replace(/(Failing row contains )\([^\n]*\)/g, '$1(…)');
}
