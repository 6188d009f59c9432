// The header of a NumPy .npy file (format 1.0–3.0): magic, version, header length, then a Python
// dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (n, d), }. Plan-time checks read
// only this (a few hundred bytes), never the matrix.
import { closeSync, openSync, readSync } from 'node:fs';

export interface NpyHeader {
  /** numpy dtype string, e.g. '<f4' */
  descr: string;
  fortranOrder: boolean;
  shape: number[];
  /** byte offset of the data */
  dataOffset: number;
}

export class NpyHeaderError extends Error {}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Parses the header from the first bytes of a file (`what` names the file in errors). Pure. */
export function parseNpyHeader(buf: Uint8Array, what = 'npy file'): NpyHeader {
  if (buf.length < 10 || MAGIC.some((b, i) => buf[i] !== b)) throw new NpyHeaderError(`${what}: not a .npy file (no \\x93NUMPY magic)`);
  const major = buf[6];
  if (major < 1 || major > 3) throw new NpyHeaderError(`${what}: unsupported .npy format version ${major}.${buf[7]}`);
  const lenBytes = major === 1 ? 2 : 4;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const hlen = lenBytes === 2 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = 8 + lenBytes;
  if (buf.length < start + hlen) throw new NpyHeaderError(`${what}: header is truncated (needs ${start + hlen} bytes, file has ${buf.length})`);
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(buf.subarray(start, start + hlen));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new NpyHeaderError(`${what}: header dict lacks descr, fortran_order or shape: ${text.trim()}`);
  }
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length).map((s) => {
    const n = Number(s.replace(/L$/, ''));
    if (!Number.isSafeInteger(n) || n < 0) throw new NpyHeaderError(`${what}: shape entry '${s}' is not a non-negative integer`);
    return n;
  });
  return { descr, fortranOrder: fortran === 'True', shape, dataOffset: start + hlen };
}

/** Reads and parses the header of a .npy file (at most 64 KiB are read). */
export function readNpyHeader(file: string): NpyHeader {
  const fd = openSync(file, 'r');
  try {
    const buf = new Uint8Array(65536);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return parseNpyHeader(buf.subarray(0, n), `npy file '${file}'`);
  } finally { closeSync(fd); }
}

/** A little-endian float32 C-order matrix as .npy bytes (format 1.0; tests and tools write inputs with it). */
export function encodeNpyF32(rows: number, cols: number, data: Float32Array): Uint8Array {
  if (data.length !== rows * cols) throw new NpyHeaderError(`encodeNpyF32: ${data.length} values for a ${rows} x ${cols} matrix`);
  let dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, ${cols}), }`;
  const pad = 64 - ((10 + dict.length + 1) % 64);
  dict = dict + ' '.repeat(pad % 64) + '\n';
  const out = new Uint8Array(10 + dict.length + data.length * 4);
  out.set(MAGIC, 0);
  out[6] = 1; out[7] = 0;
  new DataView(out.buffer).setUint16(8, dict.length, true);
  out.set(new TextEncoder().encode(dict), 10);
  const dv = new DataView(out.buffer, 10 + dict.length);
  for (let i = 0; i < data.length; i++) dv.setFloat32(i * 4, data[i], true);
  return out;
}
