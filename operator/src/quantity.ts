// Kubernetes quantities of bytes, as volume sizes are written (8Gi, 500M, 1073741824), compared
// by the bytes they stand for: the API server may write a size back in another form than it was
// given (1024Mi as 1Gi). The client library does not export its parser, which also refuses
// fractions (1.5Gi); the CRD's pattern allows no exponent form, and neither does this.

const BINARY = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 } as const;
const DECIMAL = { k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 } as const;
const QUANTITY = /^\+?(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/;

/** The bytes a quantity stands for; throws, naming it, for anything that is not a quantity of bytes. */
export function bytesOf(quantity: string | number): number {
  if (typeof quantity === 'number') return quantity;
  const match = QUANTITY.exec(quantity);
  if (match === null) throw new Error(`"${quantity}" is not a size (a number with an optional suffix such as Gi or G)`);
  const suffix = match[2] as keyof typeof BINARY | keyof typeof DECIMAL | undefined;
  const scale = suffix === undefined ? 1 : suffix in BINARY ? BINARY[suffix as keyof typeof BINARY] : DECIMAL[suffix as keyof typeof DECIMAL];
  return Math.ceil(Number(match[1]) * scale);
}
