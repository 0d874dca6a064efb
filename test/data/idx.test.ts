/** IDX parsing: the bytes each header describes, and a clear, file-naming error for each way a file can be wrong. */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeIdx, parseIdx, webGunzip } from '../../src/data/idx';
import { idxBytes, imagesIdx, labelsIdx } from './make-idx';

describe('parseIdx', () => {
  it('reads big-endian dims and the u8 payload of labels and images', () => {
    const labels = parseIdx(labelsIdx([3, 1, 4, 1, 5]), 'l.idx');
    expect(labels.dims).toEqual([5]);
    expect(Array.from(labels.data)).toEqual([3, 1, 4, 1, 5]);

    const images = parseIdx(idxBytes([2, 300, 1], Array.from({ length: 600 }, (_, i) => i % 251)), 'i.idx');
    expect(images.dims).toEqual([2, 300, 1]);
    expect(images.data[599]).toBe(599 % 251);
  });

  it('returns a tight copy of the data, independent of the input buffer', () => {
    const bytes = labelsIdx([7, 8]);
    const parsed = parseIdx(bytes, 'l.idx');
    expect(parsed.data.byteOffset).toBe(0);
    expect(parsed.data.buffer.byteLength).toBe(2);
    bytes[8] = 0;
    expect(parsed.data[0]).toBe(7);
  });

  it.each([
    ['wrong magic', new Uint8Array([0x3c, 0x68, 0x74, 0x6d, 0, 0, 0, 0]), /not an IDX file \(magic 0x3c68746d.*HTML error page/],
    ['too short for a magic', new Uint8Array([0]), /not an IDX file/],
    ['gzip bytes', gzipSync(labelsIdx([1])), /gzip-compressed; load it with decodeIdx/],
    ['float32 dtype', idxBytes([1], [0, 0, 0, 0], 0x0d), /element type float32 is unsupported.*convert it to u8/],
    ['rank 2', idxBytes([2, 2], [1, 2, 3, 4]), /rank 2 is unsupported/],
    ['truncated header', idxBytes([10, 28, 28]).subarray(0, 10), /truncated inside the header.*re-download/],
    ['truncated payload', imagesIdx(3).subarray(0, 16 + 17), /truncated: header says 3 x 2 x 3 = 18 data bytes but only 17 follow/],
    ['trailing bytes', idxBytes([2], [1, 2, 3]), /1 extra bytes after the 2 data/],
  ])('rejects %s, naming the file', (_, bytes, message) => {
    expect(() => parseIdx(bytes, 'some/dir/file-idx-ubyte')).toThrow(/^some\/dir\/file-idx-ubyte: /);
    expect(() => parseIdx(bytes, 'some/dir/file-idx-ubyte')).toThrow(message);
  });
});

describe('decodeIdx', () => {
  it('gives the same result for raw and gzipped bytes', async () => {
    const raw = imagesIdx(4, 5, 6);
    const fromRaw = await decodeIdx(raw, 'x');
    const fromGz = await decodeIdx(gzipSync(raw), 'x.gz');
    expect(fromGz.dims).toEqual([4, 5, 6]);
    expect(fromGz.data).toEqual(fromRaw.data);
  });

  it('uses an injected gunzip for gzip input only', async () => {
    let calls = 0;
    const gunzip = async (b: Uint8Array) => {
      calls++;
      return webGunzip(b);
    };
    await decodeIdx(labelsIdx([1]), 'raw', gunzip);
    expect(calls).toBe(0);
    await decodeIdx(gzipSync(labelsIdx([1])), 'gz', gunzip);
    expect(calls).toBe(1);
  });

  it('names the file when the gzip stream is corrupt', async () => {
    const gz = gzipSync(imagesIdx(50));
    await expect(decodeIdx(gz.subarray(0, 20), 'train.gz')).rejects.toThrow(/^train\.gz: gzip data is corrupt .*re-download/);
  });

  it('validates the decompressed payload too', async () => {
    const gz = gzipSync(imagesIdx(3).subarray(0, 30));
    await expect(decodeIdx(gz, 'cut.gz')).rejects.toThrow(/^cut\.gz: truncated/);
  });
});
