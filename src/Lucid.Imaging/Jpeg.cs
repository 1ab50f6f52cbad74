namespace Lucid.Imaging;

/// <summary>
/// A baseline JPEG decoder (ITU T.81 sequential DCT with Huffman coding, 8-bit samples — SOF0 and SOF1): grey or
/// YCbCr (JFIF; an Adobe APP14 marker may declare RGB), any sampling factors up to 4, interleaved and non-interleaved
/// scans, restart intervals, 8- and 16-bit quantization tables. Chroma is upsampled with the triangle ("fancy") filter
/// for 2× factors, as libjpeg does, and by replication otherwise; the inverse DCT is exact (double precision), so a
/// decode matches libjpeg's to within rounding. Progressive, arithmetic-coded, lossless, 12-bit and CMYK files are
/// refused by name. Every length and index is checked: a corrupt file is an <see cref="ImageFormatException"/>
/// naming the offset.
/// </summary>
public static class Jpeg
{
    private static readonly int[] ZigZag =
    {
        0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
        35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
    };

    /// <summary>cos((2x + 1)uπ/16) · C(u) / 2, indexed [x * 8 + u].</summary>
    private static readonly double[] Basis = BuildBasis();

    private static double[] BuildBasis()
    {
        var b = new double[64];
        for (int x = 0; x < 8; x++)
            for (int u = 0; u < 8; u++)
                b[x * 8 + u] = (u == 0 ? Math.Sqrt(0.5) : 1) * Math.Cos((2 * x + 1) * u * Math.PI / 16) / 2;
        return b;
    }

    /// <summary>Largest file read (bytes); larger streams are refused before reading them whole.</summary>
    public const long MaxFileBytes = 1L << 30;

    public static Image Read(Stream stream, string file)
    {
        if (stream.CanSeek && stream.Length - stream.Position > MaxFileBytes)
            throw new ImageFormatException(file, $"the file has {stream.Length - stream.Position} bytes, above the JPEG limit of {MaxFileBytes}.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return Decode(copy.ToArray(), file);
    }

    public static Image Decode(byte[] data, string file = "<memory>") => new Decoder(data, file).Run();

    private sealed class Component
    {
        public int Id, H, V, Quant;
        public int DcTable, AcTable;
        public int BlocksWide, BlocksHigh;      // padded to whole MCUs
        public int Predictor;
        public byte[] Samples = Array.Empty<byte>();  // BlocksWide·8 × BlocksHigh·8
        public int Stride => BlocksWide * 8;
    }

    private sealed class Huffman
    {
        public readonly int[] MaxCode = new int[18];
        public readonly int[] ValueOffset = new int[17];
        public byte[] Values = Array.Empty<byte>();
    }

    private sealed class Decoder(byte[] data, string file)
    {
        private int _position;
        private readonly int[][] _quant = new int[4][];
        private readonly Huffman?[] _dc = new Huffman?[4], _ac = new Huffman?[4];
        private Component[] _components = Array.Empty<Component>();
        private int _width, _height, _hMax, _vMax, _mcusWide, _mcusHigh, _restartInterval;
        private int _adobeTransform = -1;
        private bool _jfif, _frameSeen;

        // entropy-coded data reader
        private int _bitBuffer, _bitCount;
        private bool _hitMarker;

        private ImageFormatException Error(string message) => new(file, $"{message} (at byte {_position}).");

        public Image Run()
        {
            if (data.Length < 4 || data[0] != 0xFF || data[1] != 0xD8) throw new ImageFormatException(file, "not a JPEG file (no SOI marker).");
            _position = 2;
            while (true)
            {
                int marker = NextMarker();
                switch (marker)
                {
                    case 0xD9:
                        return Finish();
                    case 0xC0 or 0xC1:
                        Frame();
                        break;
                    case 0xC2 or 0xC6 or 0xCA or 0xCE:
                        throw Error("progressive JPEG is not supported (baseline and extended sequential only)");
                    case 0xC3 or 0xC5 or 0xC7 or 0xC9 or 0xCB or 0xCD or 0xCF:
                        throw Error($"JPEG process SOF{marker - 0xC0} (lossless or arithmetic coding) is not supported (baseline only)");
                    case 0xC4:
                        HuffmanTables();
                        break;
                    case 0xDB:
                        QuantizationTables();
                        break;
                    case 0xDD:
                    {
                        var segment = Segment();
                        if (segment.Length != 2) throw Error("DRI segment must hold 2 bytes");
                        _restartInterval = segment[0] << 8 | segment[1];
                        break;
                    }
                    case 0xDA:
                        Scan();
                        break;
                    case 0xE0:
                    {
                        var segment = Segment();
                        _jfif |= segment.Length >= 5 && segment[0] == 'J' && segment[1] == 'F' && segment[2] == 'I' && segment[3] == 'F' && segment[4] == 0;
                        break;
                    }
                    case 0xEE:
                    {
                        var segment = Segment();
                        if (segment.Length >= 12 && segment[0] == 'A' && segment[1] == 'd' && segment[2] == 'o' && segment[3] == 'b' && segment[4] == 'e')
                            _adobeTransform = segment[11];
                        break;
                    }
                    case >= 0xD0 and <= 0xD7:
                        throw Error($"restart marker RST{marker - 0xD0} outside a scan");
                    case 0x01:
                        break;
                    default:
                        Segment();   // APPn, COM, DNL, … skipped by length
                        break;
                }
            }
        }

        /// <summary>The next marker code (fill bytes skipped); data between segments is an error.</summary>
        private int NextMarker()
        {
            if (_position >= data.Length) throw Error(_frameSeen ? "the file ends before its EOI marker" : "the file ends before any image");
            if (data[_position] != 0xFF) throw Error($"expected a marker, found 0x{data[_position]:X2}");
            while (_position < data.Length && data[_position] == 0xFF) _position++;
            if (_position >= data.Length) throw Error("the file ends inside a marker");
            return data[_position++];
        }

        private ReadOnlySpan<byte> Segment()
        {
            if (_position + 2 > data.Length) throw Error("a segment length runs past the end of the file");
            int length = data[_position] << 8 | data[_position + 1];
            if (length < 2 || _position + length > data.Length) throw Error($"segment length {length} runs past the end of the file ({data.Length - _position} bytes left)");
            var segment = data.AsSpan(_position + 2, length - 2);
            _position += length;
            return segment;
        }

        private void Frame()
        {
            if (_frameSeen) throw Error("a second frame header");
            var s = Segment();
            if (s.Length < 6) throw Error("SOF segment too short");
            if (s[0] != 8) throw Error($"{s[0]}-bit samples are not supported (8-bit only)");
            _height = s[1] << 8 | s[2];
            _width = s[3] << 8 | s[4];
            int count = s[5];
            if (_height == 0) throw Error("a height of 0 (DNL-defined heights are not supported)");
            if (_width == 0) throw Error("a width of 0");
            if ((long)_width * _height > Image.MaxPixels)
                throw new ResourceLimitException($"{file}: a {_width}×{_height} image exceeds the limit of {Image.MaxPixels:N0} pixels (LucidLimits.MaxImagePixels).");
            if (count is not (1 or 3)) throw Error($"{count} components are not supported (grey or three-component colour only; CMYK is not)");
            if (s.Length != 6 + 3 * count) throw Error($"SOF segment of {s.Length} bytes for {count} components");
            _components = new Component[count];
            for (int i = 0; i < count; i++)
            {
                int h = s[7 + 3 * i] >> 4, v = s[7 + 3 * i] & 15, q = s[8 + 3 * i];
                if (h is < 1 or > 4 || v is < 1 or > 4) throw Error($"component {i} has sampling factors {h}×{v} (1 to 4 each)");
                if (q > 3) throw Error($"component {i} names quantization table {q} (0 to 3)");
                _components[i] = new Component { Id = s[6 + 3 * i], H = h, V = v, Quant = q };
            }
            _hMax = _components.Max(c => c.H);
            _vMax = _components.Max(c => c.V);
            _mcusWide = (_width + 8 * _hMax - 1) / (8 * _hMax);
            _mcusHigh = (_height + 8 * _vMax - 1) / (8 * _vMax);
            long blocks = 0;
            foreach (var c in _components)
            {
                c.BlocksWide = _mcusWide * c.H;
                c.BlocksHigh = _mcusHigh * c.V;
                blocks += (long)c.BlocksWide * c.BlocksHigh;
            }
            // every coded block takes at least two bits (a DC code and an end-of-block code): a header that declares
            // more blocks than the rest of the file can hold is a lie, refused before the image is allocated
            if (blocks / 4 > data.Length - _position)
                throw Error($"the frame declares a {_width}×{_height} image ({blocks:N0} blocks) but only {data.Length - _position:N0} bytes follow, fewer than its blocks need");
            foreach (var c in _components) c.Samples = new byte[c.BlocksWide * 8 * c.BlocksHigh * 8];
            _frameSeen = true;
        }

        private void QuantizationTables()
        {
            var s = Segment();
            int at = 0;
            while (at < s.Length)
            {
                int precision = s[at] >> 4, id = s[at] & 15;
                if (id > 3) throw Error($"quantization table id {id} (0 to 3)");
                if (precision > 1) throw Error($"quantization table precision {precision}");
                int size = precision == 0 ? 64 : 128;
                if (at + 1 + size > s.Length) throw Error("DQT segment too short for its tables");
                var table = new int[64];
                for (int k = 0; k < 64; k++)
                    table[k] = precision == 0 ? s[at + 1 + k] : s[at + 1 + 2 * k] << 8 | s[at + 2 + 2 * k];
                _quant[id] = table;
                at += 1 + size;
            }
        }

        private void HuffmanTables()
        {
            var s = Segment();
            int at = 0;
            while (at < s.Length)
            {
                if (at + 17 > s.Length) throw Error("DHT segment too short");
                int cls = s[at] >> 4, id = s[at] & 15;
                if (cls > 1 || id > 3) throw Error($"Huffman table class {cls}, id {id}");
                var counts = s.Slice(at + 1, 16);
                int total = 0;
                foreach (var n in counts) total += n;
                if (total > 256 || at + 17 + total > s.Length) throw Error($"Huffman table with {total} codes runs past its segment");
                var table = new Huffman { Values = s.Slice(at + 17, total).ToArray() };
                int code = 0, k = 0;
                for (int length = 1; length <= 16; length++)
                {
                    table.ValueOffset[length] = k - code;
                    code += counts[length - 1];
                    k += counts[length - 1];
                    table.MaxCode[length] = counts[length - 1] == 0 ? -1 : code - 1;
                    if (code > 1 << length) throw Error("Huffman table with more codes than its lengths allow");
                    code <<= 1;
                }
                table.MaxCode[17] = int.MaxValue;
                (cls == 0 ? _dc : _ac)[id] = table;
                at += 17 + total;
            }
        }

        private void Scan()
        {
            if (!_frameSeen) throw Error("a scan before the frame header");
            var s = Segment();
            if (s.Length < 1) throw Error("SOS segment too short");
            int count = s[0];
            if (count < 1 || count > _components.Length || s.Length != 4 + 2 * count) throw Error($"SOS segment of {s.Length} bytes for {count} components");
            var scan = new Component[count];
            for (int i = 0; i < count; i++)
            {
                int id = s[1 + 2 * i];
                var c = _components.FirstOrDefault(x => x.Id == id) ?? throw Error($"scan names component {id}, which the frame lacks");
                c.DcTable = s[2 + 2 * i] >> 4;
                c.AcTable = s[2 + 2 * i] & 15;
                if (c.DcTable > 3 || c.AcTable > 3) throw Error($"component {id} names Huffman tables {c.DcTable}/{c.AcTable} (0 to 3)");
                if (_dc[c.DcTable] is null || _ac[c.AcTable] is null) throw Error($"component {id} uses a Huffman table that was not defined");
                if (_quant[c.Quant] is null) throw Error($"component {id} uses quantization table {c.Quant}, which was not defined");
                scan[i] = c;
            }
            if (s[1 + 2 * count] != 0 || s[2 + 2 * count] != 63 || s[3 + 2 * count] != 0)
                throw Error("spectral selection or successive approximation in a sequential scan (a progressive file?)");
            foreach (var c in scan) c.Predictor = 0;
            ResetBits();
            var block = new int[64];
            if (count == 1)
            {
                // non-interleaved: the component's own blocks, as many as its size needs
                var c = scan[0];
                int wide = (int)Math.Ceiling(Math.Ceiling(_width * c.H / (double)_hMax) / 8), high = (int)Math.Ceiling(Math.Ceiling(_height * c.V / (double)_vMax) / 8);
                int units = 0;
                for (int by = 0; by < high; by++)
                    for (int bx = 0; bx < wide; bx++)
                    {
                        Restart(ref units, scan);
                        DecodeBlock(c, block);
                        Store(c, block, bx, by);
                    }
            }
            else
            {
                int units = 0;
                for (int my = 0; my < _mcusHigh; my++)
                    for (int mx = 0; mx < _mcusWide; mx++)
                    {
                        Restart(ref units, scan);
                        foreach (var c in scan)
                            for (int v = 0; v < c.V; v++)
                                for (int h = 0; h < c.H; h++)
                                {
                                    DecodeBlock(c, block);
                                    Store(c, block, mx * c.H + h, my * c.V + v);
                                }
                    }
            }
            // leave the position at the marker that ends the scan
            SkipToMarker();
            _position = _scanEnd;
        }

        private void Restart(ref int units, Component[] scan)
        {
            if (_restartInterval > 0 && units > 0 && units % _restartInterval == 0)
            {
                // byte-align, then expect RSTn
                SkipToMarker();
                if (_scanEnd + 1 >= data.Length || data[_scanEnd + 1] is < 0xD0 or > 0xD7)
                    throw new ImageFormatException(file, $"expected a restart marker after {units} MCUs (at byte {_scanEnd}).");
                _scanPosition = _scanEnd + 2;
                ResetBits();
                foreach (var c in scan) c.Predictor = 0;
            }
            units++;
        }

        private int _scanPosition, _scanEnd;

        private void ResetBits()
        {
            if (_scanPosition < _position) _scanPosition = _position;
            _bitBuffer = 0;
            _bitCount = 0;
            _hitMarker = false;
            _scanEnd = _scanPosition;
        }

        /// <summary>Moves past any buffered bits to the next marker (the end of the current entropy-coded run).</summary>
        private void SkipToMarker()
        {
            int p = _scanPosition;
            while (p < data.Length)
            {
                if (data[p] == 0xFF && p + 1 < data.Length && data[p + 1] != 0x00) break;
                p += data[p] == 0xFF ? 2 : 1;
            }
            _scanEnd = Math.Min(p, data.Length);
            _scanPosition = _scanEnd;
        }

        private int Bit()
        {
            if (_bitCount == 0)
            {
                int b = 0;
                if (!_hitMarker && _scanPosition < data.Length)
                {
                    b = data[_scanPosition];
                    if (b == 0xFF)
                    {
                        int next = _scanPosition + 1 < data.Length ? data[_scanPosition + 1] : -1;
                        if (next == 0x00) _scanPosition += 2;
                        else { _hitMarker = true; b = 0; }   // a marker: the data is over; pad with zeros
                    }
                    else _scanPosition++;
                }
                else if (!_hitMarker) throw new ImageFormatException(file, "the entropy-coded data runs past the end of the file.");
                _bitBuffer = b;
                _bitCount = 8;
                _scanEnd = _scanPosition;
            }
            _bitCount--;
            return _bitBuffer >> _bitCount & 1;
        }

        private int Receive(int length)
        {
            int value = 0;
            for (int i = 0; i < length; i++) value = value << 1 | Bit();
            return value;
        }

        private static int Extend(int value, int length) => length == 0 ? 0 : value < 1 << length - 1 ? value - (1 << length) + 1 : value;

        private int DecodeSymbol(Huffman table)
        {
            int code = Bit(), length = 1;
            while (code > table.MaxCode[length])
            {
                code = code << 1 | Bit();
                if (++length > 16) throw new ImageFormatException(file, $"an invalid Huffman code in the scan (near byte {_scanPosition}).");
            }
            int index = table.ValueOffset[length] + code;
            if (index < 0 || index >= table.Values.Length) throw new ImageFormatException(file, $"an invalid Huffman code in the scan (near byte {_scanPosition}).");
            return table.Values[index];
        }

        private void DecodeBlock(Component c, int[] block)
        {
            Array.Clear(block);
            var q = _quant[c.Quant];
            int t = DecodeSymbol(_dc[c.DcTable]!);
            if (t > 11) throw new ImageFormatException(file, $"a DC difference of {t} bits (at most 11; near byte {_scanPosition}).");
            c.Predictor += Extend(Receive(t), t);
            block[0] = c.Predictor * q[0];
            var ac = _ac[c.AcTable]!;
            for (int k = 1; k < 64;)
            {
                int rs = DecodeSymbol(ac), r = rs >> 4, size = rs & 15;
                if (size == 0)
                {
                    if (r != 15) break;
                    k += 16;
                    continue;
                }
                k += r;
                if (k > 63) throw new ImageFormatException(file, $"AC coefficients run past the block (near byte {_scanPosition}).");
                block[ZigZag[k]] = Extend(Receive(size), size) * q[k];
                k++;
            }
        }

        /// <summary>Inverse DCT of a dequantized block into the component's samples at block (bx, by).</summary>
        private static void Store(Component c, int[] block, int bx, int by)
        {
            if (bx >= c.BlocksWide || by >= c.BlocksHigh) return;
            Span<double> rows = stackalloc double[64];
            for (int y = 0; y < 8; y++)          // along u for every v: rows[v * 8 + x]
                for (int x = 0; x < 8; x++)
                {
                    double sum = 0;
                    for (int u = 0; u < 8; u++) sum += Basis[x * 8 + u] * block[y * 8 + u];
                    rows[y * 8 + x] = sum;
                }
            int stride = c.Stride, origin = by * 8 * stride + bx * 8;
            for (int x = 0; x < 8; x++)
                for (int y = 0; y < 8; y++)
                {
                    double sum = 0;
                    for (int v = 0; v < 8; v++) sum += Basis[y * 8 + v] * rows[v * 8 + x];
                    int value = (int)Math.Round(sum + 128, MidpointRounding.AwayFromZero);
                    c.Samples[origin + y * stride + x] = (byte)Math.Clamp(value, 0, 255);
                }
        }

        private Image Finish()
        {
            if (!_frameSeen) throw Error("EOI before any frame");
            var planes = _components.Select(Upsample).ToArray();
            int count = _components.Length;
            var image = new Image(_width, _height, count);
            var p = image.Pixels;
            bool rgb = count == 3 && (_adobeTransform == 0 || !_jfif && _adobeTransform < 0 && _components[0].Id == 'R' && _components[1].Id == 'G' && _components[2].Id == 'B');
            for (int i = 0; i < _width * _height; i++)
            {
                if (count == 1) { p[i] = planes[0][i]; continue; }
                double y = planes[0][i], cb = planes[1][i] - 128.0, cr = planes[2][i] - 128.0;
                if (rgb)
                {
                    p[3 * i] = planes[0][i]; p[3 * i + 1] = planes[1][i]; p[3 * i + 2] = planes[2][i];
                    continue;
                }
                p[3 * i] = Clamp(y + 1.402 * cr);
                p[3 * i + 1] = Clamp(y - 0.344136286 * cb - 0.714136286 * cr);
                p[3 * i + 2] = Clamp(y + 1.772 * cb);
            }
            return image;
        }

        private static byte Clamp(double v) => (byte)Math.Clamp((int)Math.Round(v, MidpointRounding.AwayFromZero), 0, 255);

        /// <summary>The component at full resolution (width × height): the triangle filter for 2× factors, replication otherwise.</summary>
        private byte[] Upsample(Component c)
        {
            int sx = _hMax / c.H, sy = _vMax / c.V;
            if (_hMax % c.H != 0 || _vMax % c.V != 0)
                throw new ImageFormatException(file, $"sampling factors {c.H}×{c.V} do not divide the frame's {_hMax}×{_vMax}.");
            int cw = (int)Math.Ceiling(_width * c.H / (double)_hMax), ch = (int)Math.Ceiling(_height * c.V / (double)_vMax), stride = c.Stride;
            var result = new byte[_width * _height];
            for (int y = 0; y < _height; y++)
                for (int x = 0; x < _width; x++)
                {
                    double vy = Sample(y, sy, ch, out int y0, out int y1), vx = Sample(x, sx, cw, out int x0, out int x1);
                    double top = c.Samples[y0 * stride + x0] * (1 - vx) + c.Samples[y0 * stride + x1] * vx;
                    double bottom = c.Samples[y1 * stride + x0] * (1 - vx) + c.Samples[y1 * stride + x1] * vx;
                    result[y * _width + x] = Clamp(top * (1 - vy) + bottom * vy);
                }
            return result;
        }

        /// <summary>
        /// For output coordinate i of a component sampled every <paramref name="factor"/> pixels: the two source samples
        /// and the weight of the second — the triangle filter (¾ nearer, ¼ farther) for a factor of 2, the nearest sample otherwise.
        /// </summary>
        private static double Sample(int i, int factor, int size, out int a, out int b)
        {
            int source = i / factor;
            if (factor != 2) { a = b = Math.Min(source, size - 1); return 0; }
            a = Math.Min(source, size - 1);
            b = i % 2 == 0 ? Math.Max(a - 1, 0) : Math.Min(a + 1, size - 1);
            return 0.25;
        }
    }
}
