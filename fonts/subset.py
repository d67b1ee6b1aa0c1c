"""Subset the open stand-in fonts for tongbao (called by regenerate.sh).

usage: subset.py EXTRACTED_DEB_ROOT OUT_DIR
"""
import gzip
import shutil
import sys
from pathlib import Path

from fontTools.subset import Options, Subsetter
from fontTools.ttLib import TTCollection, TTFont

src = Path(sys.argv[1])
out = Path(sys.argv[2])
noto = src / "usr/share/fonts/opentype/noto"
fandol = src / "usr/share/texlive/texmf-dist/fonts/opentype/public/fandol"
wenkai = src / "usr/share/fonts/truetype/lxgw-wenkai"
liberation = src / "usr/share/fonts/truetype/liberation"
docs = src / "usr/share/doc"


def repertoire():
    """GB 2312 (every valid two-byte code) + ASCII + the punctuation of Chinese documents."""
    chars = set(chr(c) for c in range(0x20, 0x7F))
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.update(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    chars.update(chr(c) for c in range(0xFF01, 0xFF5F))  # full-width forms
    chars.update(chr(c) for c in range(0x3000, 0x3020))  # CJK symbols: 、。〈〉《》「」〔〕…
    chars.update("—–‘’“”…·•●○□■△▲※№℃％‰×÷±≤≥≠　￥〇")
    return chars


def face_from_ttc(path, family):
    for font in TTCollection(str(path)).fonts:
        if font["name"].getDebugName(1) == family:
            return font
    raise SystemExit(f"{family} not found in {path}")


def rename(font, family, full, postscript):
    """Give a modified font its own name (OFL: a Modified Version may not use Reserved Font Names)."""
    name = font["name"]
    for rec in list(name.names):
        if rec.nameID in (1, 16):
            name.setName(family, rec.nameID, rec.platformID, rec.platEncID, rec.langID)
        elif rec.nameID == 4:
            name.setName(full, 4, rec.platformID, rec.platEncID, rec.langID)
        elif rec.nameID == 6:
            name.setName(postscript, 6, rec.platformID, rec.platEncID, rec.langID)
        elif rec.nameID == 3:
            name.setName(postscript + ";subset", 3, rec.platformID, rec.platEncID, rec.langID)
    if "CFF " in font:
        cff = font["CFF "].cff
        cff.fontNames = [postscript]
        top = cff.topDictIndex[0]
        top.FamilyName = family
        top.FullName = full


def subset(font, dest, chars):
    opts = Options()
    opts.layout_features = ["*"]
    opts.name_IDs = ["*"]
    opts.name_languages = ["*"]
    opts.hinting = False
    opts.desubroutinize = False
    opts.notdef_outline = True
    sub = Subsetter(opts)
    sub.populate(unicodes=[ord(c) for c in chars])
    sub.subset(font)
    font.save(str(dest))
    print(f"{dest.name}: {dest.stat().st_size // 1024} KiB")


chars = repertoire()
subset(face_from_ttc(noto / "NotoSerifCJK-Bold.ttc", "Noto Serif CJK SC"), out / "NotoSerifCJKsc-Bold.otf", chars)
subset(face_from_ttc(noto / "NotoSerifCJK-Regular.ttc", "Noto Serif CJK SC"), out / "NotoSerifCJKsc-Regular.otf", chars)
subset(face_from_ttc(noto / "NotoSansCJK-Regular.ttc", "Noto Sans CJK SC"), out / "NotoSansCJKsc-Regular.otf", chars)
fang = TTFont(str(fandol / "FandolFang-Regular.otf"))
# The original's legacy family name is "FandolFang R"; give the subset one family name everywhere.
rename(fang, "FandolFang", "FandolFang Regular", "FandolFang-Regular")
subset(fang, out / "FandolFang-Regular.otf", chars)
kai = TTFont(str(wenkai / "LXGWWenKai-Regular.ttf"))
rename(kai, "WenKai GB2312", "WenKai GB2312 Regular", "WenKaiGB2312-Regular")
subset(kai, out / "WenKaiGB2312-Regular.ttf", chars)
shutil.copy(liberation / "LiberationSerif-Regular.ttf", out / "LiberationSerif-Regular.ttf")
shutil.copy(liberation / "LiberationSerif-Bold.ttf", out / "LiberationSerif-Bold.ttf")

# Licences beside the fonts.
shutil.copy(docs / "fonts-noto-cjk/copyright", out / "NotoCJK-LICENSE.txt")
shutil.copy(docs / "fonts-lxgw-wenkai/copyright", out / "WenKaiGB2312-LICENSE.txt")
shutil.copy(docs / "fonts-liberation/copyright", out / "LiberationSerif-LICENSE.txt")
with gzip.open(docs / "texlive-doc/fonts/fandol/COPYING.gz", "rb") as f:
    gpl = f.read().decode()
readme = (docs / "texlive-doc/fonts/fandol/README").read_text()
(out / "FandolFang-LICENSE.txt").write_text(readme + "\n\n" + gpl)
