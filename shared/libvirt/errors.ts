// The one error type of the XML model: every parse, build and validation failure in shared/libvirt
// throws it, with a code a caller can branch on.

export type XmlModelErrorCode =
  /** Not well-formed XML (or a construct we refuse, such as a DOCTYPE). */
  | 'malformed-xml'
  /** Well-formed, but the root element is not the one asked for. */
  | 'unexpected-root'
  /** A required element or attribute is absent. */
  | 'missing'
  /** A value is present but not valid (a MAC, a uuid, a port name, a parameter value...). */
  | 'invalid-value';

export class XmlModelError extends Error {
  override readonly name = 'XmlModelError';
  constructor(
    readonly code: XmlModelErrorCode,
    message: string,
    /** Where in the document, when the parser could tell. */
    readonly location?: { line: number; col?: number },
  ) {
    super(message);
  }
}

export function isXmlModelError(e: unknown, code?: XmlModelErrorCode): e is XmlModelError {
  return e instanceof XmlModelError && (code === undefined || e.code === code);
}
