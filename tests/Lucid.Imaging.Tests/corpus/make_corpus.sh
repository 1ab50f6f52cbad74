#!/bin/sh
# Makes the decoder corpus with ImageMagick (Debian's imagemagick, libpng and libjpeg-turbo underneath): PNG in every
# colour type and bit depth, plain and Adam7-interlaced; baseline JPEG with 4:4:4, 4:2:2, 4:2:0 and 4:1:1 chroma,
# grey, restart intervals, and a progressive file (read through Skia); WebP, GIF and BMP (Skia); binary and plain PGM/PPM.
# Each NAME.EXT comes with NAME.rgba: ImageMagick's own decode as 8-bit RGBA rows — the reference.
set -e
cd "$(dirname "$0")"
rm -f ./*.png ./*.jpg ./*.ppm ./*.pgm ./*.rgba
# a 37×29 source (sizes not multiples of 8 or 16): gradients, a hard-edged disc and noise, with an alpha ramp
convert -size 37x29 gradient:'#ff2000-#0040ff' \( -size 37x29 xc:none -fill '#20e040' -draw 'circle 18,14 18,4' \) -composite \
        -attenuate 0.4 +noise Uniform -alpha off source-rgb.png
convert source-rgb.png \( -size 29x37 gradient:white-'#202020' -rotate 90 \) -alpha off -compose CopyOpacity -composite source-rgba.png
png() { # name source colour-type bit-depth [extra]
  convert "$2" $5 -define png:color-type="$3" -define png:bit-depth="$4" "$1.png"
}
for il in none PNG; do
  s=$([ $il = none ] && echo "" || echo "-i")
  for d in 1 2 4 8 16; do png gray$d$s source-rgb.png 0 $d "-colorspace Gray -interlace $il"; done
  for d in 8 16; do png rgb$d$s source-rgb.png 2 $d "-interlace $il"; done
  # ImageMagick picks a palette's bit depth from its colour count (2, 4 and 8 bits here; Pillow writes the 1-bit one below)
  for d in 2 4 8; do convert source-rgb.png +dither -colors $((1 << d)) -interlace $il -define png:color-type=3 palette$d$s.png; done
  for d in 8 16; do png grayalpha$d$s source-rgba.png 4 $d "-colorspace Gray -interlace $il"; done
  for d in 8 16; do png rgba$d$s source-rgba.png 6 $d "-interlace $il"; done
done
/usr/bin/python3 -c "from PIL import Image; s = Image.open('source-rgb.png'); s.quantize(2).save('palette1-pillow.png'); s.quantize(4).save('palette2-pillow.png')"
for f in 444:1x1 422:2x1 420:2x2 411:4x1; do
  convert source-rgb.png -quality 90 -sampling-factor "${f#*:}" "jpeg-${f%%:*}.jpg"
done
convert source-rgb.png -quality 40 -sampling-factor 2x2 jpeg-420-q40.jpg
convert source-rgb.png -colorspace Gray -quality 85 jpeg-gray.jpg
convert source-rgb.png -quality 85 -sampling-factor 2x2 -define jpeg:restart-interval=1 jpeg-420-restart.jpg
convert source-rgb.png -quality 85 -interlace JPEG jpeg-progressive.jpg
# formats only Skia's codecs read here: WebP (lossy and lossless), GIF (palette), BMP (24-bit and with alpha)
convert source-rgb.png -quality 85 photo.webp
convert source-rgb.png -define webp:lossless=true lossless.webp
convert source-rgb.png +dither -colors 64 palette.gif
convert source-rgb.png bmp3:rgb.bmp
convert source-rgba.png bmp:rgba.bmp
convert source-rgb.png ppm:rgb.ppm
convert source-rgb.png -colorspace Gray pgm:gray.pgm
convert source-rgb.png -compress none ppm:rgb-plain.ppm
convert source-rgb.png -depth 16 ppm:rgb16.ppm
for f in *.png *.jpg *.ppm *.pgm *.webp *.gif *.bmp; do
  case "$f" in source-*) continue;; esac
  convert "$f" -depth 8 "rgba:${f%.*}.rgba"
done
