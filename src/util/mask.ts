/** Replace the password of every postgres:// URL (and password=... pairs) in a text with ****. */
export function maskSecrets(text: string): string {
  return text
    .replace(/(postgres(?:ql)?:\/\/[^:/@\s]*:)([^@\s]*)@/gi, '$1****@')
    .replace(/(password\s*=\s*)('[^']*'|\S+)/gi, '$1****');
}

/** A connection URL with its password masked, for messages and reports. */
export function maskUrl(url: string): string {
  return maskSecrets(url);
}
