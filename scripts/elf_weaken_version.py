#!/usr/bin/env python3
"""Marks one version need of an ELF64 little-endian shared library weak (VER_FLG_WEAK in .gnu.version_r).

glibc's loader reports a missing weak version need without failing. Usage: elf_weaken_version.py LIB VERSION
"""
import struct
import sys

VER_FLG_WEAK = 0x2
SHT_GNU_VERNEED = 0x6FFFFFFE


def weaken(path: str, version: str) -> bool:
    with open(path, "r+b") as f:
        data = bytearray(f.read())
        if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
            raise SystemExit(f"{path}: not a little-endian ELF64 file")
        shoff, = struct.unpack_from("<Q", data, 0x28)
        shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
        sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
        for _name, kind, _flags, _addr, offset, _size, link, info, _align, _entsize in sections:
            if kind != SHT_GNU_VERNEED:
                continue
            strings = sections[link][4]
            entry = offset
            for _ in range(info):
                _vn_version, vn_cnt, _vn_file, vn_aux, vn_next = struct.unpack_from("<HHIII", data, entry)
                aux = entry + vn_aux
                for _ in range(vn_cnt):
                    _hash, flags, _other, name, next_aux = struct.unpack_from("<IHHII", data, aux)
                    end = data.index(0, strings + name)
                    if data[strings + name:end].decode() == version:
                        struct.pack_into("<H", data, aux + 4, flags | VER_FLG_WEAK)
                        f.seek(0)
                        f.write(data)
                        return True
                    aux += next_aux
                entry += vn_next
    return False


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    if not weaken(sys.argv[1], sys.argv[2]):
        raise SystemExit(f"{sys.argv[1]}: no version need named {sys.argv[2]}")
