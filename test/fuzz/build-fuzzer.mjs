// Makes @jazzer.js/fuzzer's prebuilt libFuzzer addon load here (`npm run build:fuzzer`, run by `npm test`).
//
// Jazzer.js 4 ships only prebuilt addons; building from source downloads a patched LLVM
// (no internet here). The linux-x64 prebuild was linked against glibc 2.38 and needs exactly two
// symbols from it: __isoc23_strtol/__isoc23_strtoul (strtol/strtoul that also accept "0b" — only
// libFuzzer's flag parsing calls them). On an older glibc (Debian 12 has 2.36) this script rebinds
// those two imports to the plain strtol/strtoul@GLIBC_2.2.5 and marks the GLIBC_2.38 need weak.
// It also needs GLIBCXX_3.4.32 (GCC 13's libstdc++) for one symbol only, std::ios_base_library_init,
// which GCC 13's <iostream> references with a bare `.globl` (no relocation, never called) to pin the
// newer libstdc++; older libstdc++ initialises iostreams itself, so that need is marked weak too.
// It edits only those ELF fields, keeps the original as `.orig`, and is a no-op where the addon loads.
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const SHT_DYNSYM = 11;
const SHT_GNU_VERNEED = 0x6ffffffe;
const SHT_GNU_VERSYM = 0x6fffffff;
const VER_FLG_WEAK = 0x2;
const C23_PREFIX = '__isoc23_';
const IOS_INIT = '_ZSt21ios_base_library_initv';

function addonPath() {
  const pkg = dirname(require.resolve('@jazzer.js/fuzzer/package.json'));
  return join(pkg, 'prebuilds', `fuzzer-${process.platform}-${process.arch}.node`);
}

function loads(file) {
  try {
    process.dlopen({ exports: {} }, file);
    return { ok: true };
  } catch (error) {
    return { ok: false, message: String(error?.message ?? error) };
  }
}

function cString(buf, offset) {
  const end = buf.indexOf(0, offset);
  return buf.toString('latin1', offset, end);
}

/** Rebinds the glibc 2.38 C23 imports to glibc 2.2.5 and weakens the unused libstdc++ 3.4.32 need. */
function patchElf(buf) {
  if (buf.readUInt32BE(0) !== 0x7f454c46 || buf[4] !== 2 || buf[5] !== 1) {
    throw new Error('not a little-endian ELF64 file');
  }
  const shoff = Number(buf.readBigUInt64LE(0x28));
  const shentsize = buf.readUInt16LE(0x3a);
  const shnum = buf.readUInt16LE(0x3c);
  const sections = [];
  for (let i = 0; i < shnum; i++) {
    const at = shoff + i * shentsize;
    sections.push({
      type: buf.readUInt32LE(at + 4),
      offset: Number(buf.readBigUInt64LE(at + 24)),
      size: Number(buf.readBigUInt64LE(at + 32)),
      link: buf.readUInt32LE(at + 40),
      info: buf.readUInt32LE(at + 44),
    });
  }
  const dynsym = sections.find((s) => s.type === SHT_DYNSYM);
  const versym = sections.find((s) => s.type === SHT_GNU_VERSYM);
  const verneed = sections.find((s) => s.type === SHT_GNU_VERNEED);
  if (!dynsym || !versym || !verneed) throw new Error('no dynamic symbol versioning sections');
  const dynstr = sections[dynsym.link].offset;
  const verneedStr = sections[verneed.link].offset;

  const versions = new Map(); // version name -> { index, flagsAt }
  let need = verneed.offset;
  for (let n = 0; n < verneed.info; n++) {
    const file = cString(buf, verneedStr + buf.readUInt32LE(need + 4));
    let aux = need + buf.readUInt32LE(need + 8);
    for (let a = 0; a < buf.readUInt16LE(need + 2); a++) {
      const name = cString(buf, verneedStr + buf.readUInt32LE(aux + 8));
      if (file.startsWith('libc.so') || file.startsWith('libstdc++.so')) {
        versions.set(name, { index: buf.readUInt16LE(aux + 6), flagsAt: aux + 4 });
      }
      aux += buf.readUInt32LE(aux + 12);
    }
    need += buf.readUInt32LE(need + 12);
  }
  const c23 = versions.get('GLIBC_2.38');
  const base = versions.get('GLIBC_2.2.5');
  const cxx = versions.get('GLIBCXX_3.4.32');
  const count = dynsym.size / 24;
  const symbol = (i) => cString(buf, dynstr + buf.readUInt32LE(dynsym.offset + i * 24));
  const version = (i) => buf.readUInt16LE(versym.offset + i * 2) & 0x7fff;
  if (cxx) {
    for (let i = 0; i < count; i++) {
      if (version(i) === cxx.index && symbol(i) !== IOS_INIT) {
        throw new Error(`addon needs ${symbol(i)}@GLIBCXX_3.4.32, which older libstdc++ lacks`);
      }
    }
    buf.writeUInt16LE(buf.readUInt16LE(cxx.flagsAt) | VER_FLG_WEAK, cxx.flagsAt);
  }
  if (!c23) return 0;
  if (!base) throw new Error('addon has no GLIBC_2.2.5 need to rebind to');

  let rebound = 0;
  for (let i = 0; i < count; i++) {
    const vAt = versym.offset + i * 2;
    if (version(i) !== c23.index) continue;
    const sAt = dynsym.offset + i * 24;
    const name = symbol(i);
    const plain = name.slice(C23_PREFIX.length);
    if (!name.startsWith(C23_PREFIX) || !['strtol', 'strtoul'].includes(plain)) {
      throw new Error(`addon needs ${name}@GLIBC_2.38, which has no older equivalent`);
    }
    buf.writeUInt32LE(buf.readUInt32LE(sAt) + C23_PREFIX.length, sAt); // "__isoc23_strtol" -> "strtol"
    buf.writeUInt16LE(base.index, vAt);
    rebound++;
  }
  buf.writeUInt16LE(buf.readUInt16LE(c23.flagsAt) | VER_FLG_WEAK, c23.flagsAt);
  return rebound;
}

const file = addonPath();
if (!existsSync(file)) {
  process.stderr.write(`build:fuzzer: no prebuilt Jazzer.js addon for ${process.platform}-${process.arch}\n`);
  process.exit(1);
}
const first = loads(file);
if (first.ok) {
  process.stderr.write(`build:fuzzer: ${file} loads\n`);
  process.exit(0);
}
if (!/GLIBC_2\.38|GLIBCXX_3\.4\.32/.test(first.message)) {
  process.stderr.write(`build:fuzzer: the Jazzer.js addon does not load: ${first.message}\n`);
  process.exit(1);
}
const original = `${file}.orig`;
if (!existsSync(original)) copyFileSync(file, original);
const buf = readFileSync(original);
const rebound = patchElf(buf);
writeFileSync(file, buf);
const second = loads(file);
if (!second.ok) {
  process.stderr.write(`build:fuzzer: patched addon still does not load: ${second.message}\n`);
  process.exit(1);
}
process.stderr.write(`build:fuzzer: rebound ${rebound} glibc 2.38 imports; ${file} loads\n`);
