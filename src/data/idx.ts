/**
 * Parser for the IDX format the MNIST family ships in, safe to bundle for the browser.
 * Only unsigned-byte files of rank 1 (labels, magic 0x00000801) and rank 3 (images,
 * magic 0x00000803) are accepted, since those are all the engine trains on; every
 * rejection names the file and says what to do, because a bad download otherwise
 * surfaces as a silent accuracy collapse much later.
 */

export interface IdxArray {
  /** Where the bytes came from, for error messages. */
  file: string;
  /** Big-endian dims from the header: [count] or [count, rows, cols]. */
  dims: number[];
  data: Uint8Array;
}

/** Decompresses a whole gzip stream; injectable so Node can use its faster zlib. */
export type Gunzip = (bytes: Uint8Array) => Promise<Uint8Array>;

const U8 = 0x08;
const DTYPE_NAMES: Record<number, string> = {
  0x09: 'int8', 0x0b: 'int16', 0x0c: 'int32', 0x0d: 'float32', 0x0e: 'float64',
};

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

export function parseIdx(bytes: Uint8Array, fileName: string): IdxArray {
  if (isGzip(bytes)) {
    throw new Error(`${fileName}: is gzip-compressed; load it with decodeIdx, or gunzip it first.`);
  }
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) {
    const magic = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join('');
    throw new Error(
      `${fileName}: not an IDX file (magic 0x${magic}, expected 0x00000801 for labels or 0x00000803 for images); ` +
        `check the path, and that the download is complete and not an HTML error page.`,
    );
  }
  const dtype = bytes[2];
  const rank = bytes[3];
  if (dtype !== U8) {
    const what = DTYPE_NAMES[dtype] ?? `unknown 0x${dtype.toString(16)}`;
    throw new Error(`${fileName}: IDX element type ${what} is unsupported; only unsigned-byte (0x08) files are, convert it to u8.`);
  }
  if (rank !== 1 && rank !== 3) {
    throw new Error(`${fileName}: IDX rank ${rank} is unsupported; expected 1 (labels) or 3 (images: count x rows x cols).`);
  }
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) {
    throw new Error(`${fileName}: truncated inside the header (${bytes.length} bytes, header needs ${headerBytes}); re-download the file.`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: rank }, (_, d) => view.getUint32(4 + 4 * d, false));
  const expected = dims.reduce((a, b) => a * b, 1);
  const actual = bytes.length - headerBytes;
  if (actual < expected) {
    throw new Error(
      `${fileName}: truncated: header says ${dims.join(' x ')} = ${expected} data bytes but only ${actual} follow; re-download the file.`,
    );
  }
  if (actual > expected) {
    throw new Error(
      `${fileName}: ${actual - expected} extra bytes after the ${dims.join(' x ')} data the header declares; ` +
        `the file is corrupt or several files were concatenated, re-download it.`,
    );
  }
  // A copy, not a view: callers get a buffer of exactly the data, offset 0, ready to upload.
  return { file: fileName, dims, data: bytes.slice(headerBytes) };
}

/** The standard web API; Node 20 has it too, but its zlib is about 3x faster on MNIST-sized files. */
export const webGunzip: Gunzip = async (bytes) => {
  // slice(): Blob accepts only views of a plain (not shared) ArrayBuffer.
  const stream = new Blob([bytes.slice()]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
};

/** parseIdx that first gunzips bytes starting with the gzip signature 1f 8b. */
export async function decodeIdx(bytes: Uint8Array, fileName: string, gunzip: Gunzip = webGunzip): Promise<IdxArray> {
  if (!isGzip(bytes)) return parseIdx(bytes, fileName);
  let raw: Uint8Array;
  try {
    raw = await gunzip(bytes);
  } catch (err) {
    throw new Error(`${fileName}: gzip data is corrupt (${(err as Error).message}); re-download the file.`);
  }
  return parseIdx(raw, fileName);
}
