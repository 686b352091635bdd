// Length shaping: DAPO's soft overlong penalty. With maximum length L and buffer B, a completion
// of `len` tokens gets 0 if len <= L - B, (L - B - len) / B inside the buffer, and -1 beyond L.

export function overlongPenalty(len: number, maxLength: number, buffer: number): number {
  if (!(maxLength > 0) || !(buffer > 0) || buffer > maxLength) {
    throw new RangeError(`overlong penalty needs 0 < buffer <= maxLength, got maxLength=${maxLength} buffer=${buffer}`);
  }
  if (len <= maxLength - buffer) return 0;
  if (len <= maxLength) return (maxLength - buffer - len) / buffer;
  return -1;
}
