'use strict';

// ELF inspection of built binaries: which machine they are for, their byte
// order, and whether they are dynamically linked.

const assert = require('node:assert/strict');
const fs = require('node:fs');

/** e_machine by Lambda architecture: EM_X86_64 and EM_AARCH64. */
const ELF_MACHINE = { x86_64: 62, arm64: 183 };

/** The class, byte order and machine of an ELF file: { bits: 32|64, endian: 'little'|'big', machine }. */
function readElfHeader(file) {
  const header = Buffer.alloc(20);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, header, 0, 20, 0);
  } finally {
    fs.closeSync(fd);
  }
  assert.deepEqual([...header.subarray(0, 4)], [0x7f, 0x45, 0x4c, 0x46], `${file} is an ELF file`);
  const endian = { 1: 'little', 2: 'big' }[header[5]] || `EI_DATA ${header[5]}`;
  return {
    bits: header[4] === 2 ? 64 : 32,
    endian,
    machine: endian === 'big' ? header.readUInt16BE(18) : header.readUInt16LE(18),
  };
}

/**
 * e_machine of an ELF file (see ELF_MACHINE), read in the file's own byte
 * order; with `endian` ('little' or 'big') the file must also have that one.
 */
function elfMachine(file, { endian } = {}) {
  const header = readElfHeader(file);
  if (endian) assert.equal(header.endian, endian, `${file} is ${endian}-endian`);
  return header.machine;
}

/** Whether an ELF64 little-endian file has a PT_INTERP program header (dynamic linking). */
function hasInterpreter(file) {
  const b = fs.readFileSync(file);
  assert.equal(b[4], 2, `${file} is ELF64`);
  const phoff = Number(b.readBigUInt64LE(0x20));
  const phentsize = b.readUInt16LE(0x36);
  const phnum = b.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) {
    if (b.readUInt32LE(phoff + i * phentsize) === 3 /* PT_INTERP */) return true;
  }
  return false;
}

module.exports = { ELF_MACHINE, readElfHeader, elfMachine, hasInterpreter };
