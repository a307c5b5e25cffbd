/**
 * Byte alignment of scratch regions: every region a kernel carves out of scratch starts on a
 * 16-byte boundary, so f32x4 loads and stores in it are aligned and regions never share a vector.
 */
export function align16(n: number): number {
  return Math.ceil(n / 16) * 16;
}
