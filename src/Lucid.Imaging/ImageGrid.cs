using Lucid.Tensors;

namespace Lucid.Imaging;

/// <summary>
/// Image grids with optional labels (a batch of renders, one channel per cell): cells as large as the largest image,
/// each image scaled by nearest neighbour and centred, a label under each cell drawn with <see cref="BitmapFont"/> —
/// no fonts needed, the same pixels on every machine.
/// </summary>
public static class ImageGrid
{
    /// <param name="images">The cells, row-major.</param>
    /// <param name="labels">One label per image (null or empty: none); longer labels are cut to the cell.</param>
    /// <param name="columns">Cells per row (0: ⌈√n⌉).</param>
    /// <param name="scale">Each image drawn at this integer scale.</param>
    /// <param name="padding">Pixels between cells and around the grid.</param>
    /// <param name="labelScale">Size of the label font (1: 5×7 pixels per character).</param>
    public static Image Compose(IReadOnlyList<Image> images, IReadOnlyList<string?>? labels = null, int columns = 0, int scale = 1, int padding = 4, int labelScale = 1)
    {
        if (images.Count == 0) throw new LucidArgumentException(nameof(images), "image grid: give at least one image.");
        if (labels is not null && labels.Count != images.Count)
            throw new LucidArgumentException(nameof(labels), $"image grid: {images.Count} images need {images.Count} labels, got {labels.Count}.");
        if (scale < 1 || labelScale < 1 || padding < 0 || columns < 0)
            throw new LucidArgumentException(nameof(scale), $"image grid: scale and label scale must be at least 1 and padding and columns not negative (got {scale}, {labelScale}, {padding}, {columns}).");
        int n = images.Count;
        int cols = columns > 0 ? Math.Min(columns, n) : (int)Math.Ceiling(Math.Sqrt(n));
        int rows = (n + cols - 1) / cols;
        int cellW = images.Max(i => i.Width) * scale, cellH = images.Max(i => i.Height) * scale;
        bool labelled = labels is not null && labels.Any(l => !string.IsNullOrEmpty(l));
        int labelH = labelled ? BitmapFont.Height * labelScale + 3 : 0;
        long width = padding + (long)cols * (cellW + padding), height = padding + (long)rows * (cellH + labelH + padding);
        if (width * height > LucidLimits.MaxImagePixels)
            throw new ResourceLimitException($"image grid: a {width}×{height} grid exceeds the limit of {LucidLimits.MaxImagePixels:N0} pixels (LucidLimits.MaxImagePixels).");
        var grid = new Image((int)width, (int)height, 3);
        Array.Fill(grid.Pixels, (byte)255);
        for (int k = 0; k < n; k++)
        {
            int x0 = padding + k % cols * (cellW + padding), y0 = padding + k / cols * (cellH + labelH + padding);
            var image = images[k];
            int w = image.Width * scale, h = image.Height * scale;
            int ox = x0 + (cellW - w) / 2, oy = y0 + (cellH - h) / 2;
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    var (r, g, b) = Rgb(image, y / scale, x / scale);
                    int o = ((oy + y) * grid.Width + ox + x) * 3;
                    grid.Pixels[o] = r; grid.Pixels[o + 1] = g; grid.Pixels[o + 2] = b;
                }
            if (labelled && labels![k] is { Length: > 0 } label)
            {
                int fit = Math.Max(0, cellW / (BitmapFont.Advance * labelScale));
                var text = label.Length > fit ? label[..fit] : label;
                int tx = x0 + (cellW - BitmapFont.Width(text, labelScale)) / 2;
                BitmapFont.Draw(grid, text, Math.Max(x0, tx), y0 + cellH + 2, (0, 0, 0), labelScale);
            }
        }
        return grid;
    }

    /// <summary>A batch [N, C, H, W] in [0, 1] as a grid (see <see cref="Compose"/>).</summary>
    public static Image FromBatch(Tensor batch, IReadOnlyList<string?>? labels = null, int columns = 0, int scale = 1, int padding = 4, int labelScale = 1)
    {
        if (batch.Rank != 4) throw new ShapeMismatchException($"image grid: expected a batch [N, C, H, W], got [{string.Join(", ", batch.Shape.ToArray())}].");
        var images = new List<Image>();
        for (int i = 0; i < batch.Size(0); i++)
        {
            using var one = batch[i..(i + 1)];
            images.Add(Image.FromTensor(one));
        }
        return Compose(images, labels, columns, scale, padding, labelScale);
    }

    private static (byte R, byte G, byte B) Rgb(Image image, int y, int x)
    {
        int c = image.Channels;
        byte r = image[y, x, 0], g = c >= 3 ? image[y, x, 1] : r, b = c >= 3 ? image[y, x, 2] : r;
        if (c is 2 or 4)
        {
            int a = image[y, x, c - 1];
            r = (byte)((r * a + 255 * (255 - a)) / 255);
            g = (byte)((g * a + 255 * (255 - a)) / 255);
            b = (byte)((b * a + 255 * (255 - a)) / 255);
        }
        return (r, g, b);
    }
}

/// <summary>
/// A 5×7 pixel font for labels in PNG output: letters (lower case drawn as upper case), digits, space and
/// <c>-_.:,/()%+=#'</c>; anything else is drawn as '?'.
/// </summary>
public static class BitmapFont
{
    public const int Height = 7;
    /// <summary>Horizontal advance per character at scale 1 (5 pixels and a gap).</summary>
    public const int Advance = 6;

    // seven rows of five bits per glyph, most significant bit on the left
    private static readonly Dictionary<char, byte[]> Glyphs = new()
    {
        ['A'] = [0b01110, 0b10001, 0b10001, 0b11111, 0b10001, 0b10001, 0b10001],
        ['B'] = [0b11110, 0b10001, 0b10001, 0b11110, 0b10001, 0b10001, 0b11110],
        ['C'] = [0b01110, 0b10001, 0b10000, 0b10000, 0b10000, 0b10001, 0b01110],
        ['D'] = [0b11110, 0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b11110],
        ['E'] = [0b11111, 0b10000, 0b10000, 0b11110, 0b10000, 0b10000, 0b11111],
        ['F'] = [0b11111, 0b10000, 0b10000, 0b11110, 0b10000, 0b10000, 0b10000],
        ['G'] = [0b01110, 0b10001, 0b10000, 0b10111, 0b10001, 0b10001, 0b01111],
        ['H'] = [0b10001, 0b10001, 0b10001, 0b11111, 0b10001, 0b10001, 0b10001],
        ['I'] = [0b01110, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110],
        ['J'] = [0b00111, 0b00010, 0b00010, 0b00010, 0b00010, 0b10010, 0b01100],
        ['K'] = [0b10001, 0b10010, 0b10100, 0b11000, 0b10100, 0b10010, 0b10001],
        ['L'] = [0b10000, 0b10000, 0b10000, 0b10000, 0b10000, 0b10000, 0b11111],
        ['M'] = [0b10001, 0b11011, 0b10101, 0b10101, 0b10001, 0b10001, 0b10001],
        ['N'] = [0b10001, 0b10001, 0b11001, 0b10101, 0b10011, 0b10001, 0b10001],
        ['O'] = [0b01110, 0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01110],
        ['P'] = [0b11110, 0b10001, 0b10001, 0b11110, 0b10000, 0b10000, 0b10000],
        ['Q'] = [0b01110, 0b10001, 0b10001, 0b10001, 0b10101, 0b10010, 0b01101],
        ['R'] = [0b11110, 0b10001, 0b10001, 0b11110, 0b10100, 0b10010, 0b10001],
        ['S'] = [0b01111, 0b10000, 0b10000, 0b01110, 0b00001, 0b00001, 0b11110],
        ['T'] = [0b11111, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100],
        ['U'] = [0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01110],
        ['V'] = [0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01010, 0b00100],
        ['W'] = [0b10001, 0b10001, 0b10001, 0b10101, 0b10101, 0b10101, 0b01010],
        ['X'] = [0b10001, 0b10001, 0b01010, 0b00100, 0b01010, 0b10001, 0b10001],
        ['Y'] = [0b10001, 0b10001, 0b01010, 0b00100, 0b00100, 0b00100, 0b00100],
        ['Z'] = [0b11111, 0b00001, 0b00010, 0b00100, 0b01000, 0b10000, 0b11111],
        ['0'] = [0b01110, 0b10001, 0b10011, 0b10101, 0b11001, 0b10001, 0b01110],
        ['1'] = [0b00100, 0b01100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110],
        ['2'] = [0b01110, 0b10001, 0b00001, 0b00010, 0b00100, 0b01000, 0b11111],
        ['3'] = [0b11111, 0b00010, 0b00100, 0b00010, 0b00001, 0b10001, 0b01110],
        ['4'] = [0b00010, 0b00110, 0b01010, 0b10010, 0b11111, 0b00010, 0b00010],
        ['5'] = [0b11111, 0b10000, 0b11110, 0b00001, 0b00001, 0b10001, 0b01110],
        ['6'] = [0b00110, 0b01000, 0b10000, 0b11110, 0b10001, 0b10001, 0b01110],
        ['7'] = [0b11111, 0b00001, 0b00010, 0b00100, 0b01000, 0b01000, 0b01000],
        ['8'] = [0b01110, 0b10001, 0b10001, 0b01110, 0b10001, 0b10001, 0b01110],
        ['9'] = [0b01110, 0b10001, 0b10001, 0b01111, 0b00001, 0b00010, 0b01100],
        [' '] = [0, 0, 0, 0, 0, 0, 0],
        ['-'] = [0, 0, 0, 0b11111, 0, 0, 0],
        ['_'] = [0, 0, 0, 0, 0, 0, 0b11111],
        ['.'] = [0, 0, 0, 0, 0, 0b01100, 0b01100],
        [':'] = [0, 0b01100, 0b01100, 0, 0b01100, 0b01100, 0],
        [','] = [0, 0, 0, 0, 0b01100, 0b00100, 0b01000],
        ['/'] = [0, 0b00001, 0b00010, 0b00100, 0b01000, 0b10000, 0],
        ['('] = [0b00010, 0b00100, 0b01000, 0b01000, 0b01000, 0b00100, 0b00010],
        [')'] = [0b01000, 0b00100, 0b00010, 0b00010, 0b00010, 0b00100, 0b01000],
        ['%'] = [0b11000, 0b11001, 0b00010, 0b00100, 0b01000, 0b10011, 0b00011],
        ['+'] = [0, 0b00100, 0b00100, 0b11111, 0b00100, 0b00100, 0],
        ['='] = [0, 0, 0b11111, 0, 0b11111, 0, 0],
        ['#'] = [0b01010, 0b01010, 0b11111, 0b01010, 0b11111, 0b01010, 0b01010],
        ['\''] = [0b00100, 0b00100, 0b01000, 0, 0, 0, 0],
        ['?'] = [0b01110, 0b10001, 0b00001, 0b00010, 0b00100, 0, 0b00100],
    };

    /// <summary>The pixel rows of a character (lower case as upper case; unknown characters as '?').</summary>
    public static IReadOnlyList<byte> Glyph(char c) => Glyphs.TryGetValue(char.ToUpperInvariant(c), out var g) ? g : Glyphs['?'];

    /// <summary>Width of <paramref name="text"/> in pixels (no trailing gap).</summary>
    public static int Width(string text, int scale = 1) => text.Length == 0 ? 0 : (text.Length * Advance - 1) * scale;

    /// <summary>Draws <paramref name="text"/> with its top-left corner at (x, y); pixels outside the image are skipped.</summary>
    public static void Draw(Image target, string text, int x, int y, (byte R, byte G, byte B) colour, int scale = 1)
    {
        if (scale < 1) throw new LucidArgumentException(nameof(scale), $"bitmap font: scale must be at least 1, got {scale}.");
        int c = target.Channels;
        for (int i = 0; i < text.Length; i++)
        {
            var glyph = Glyph(text[i]);
            for (int row = 0; row < Height; row++)
                for (int col = 0; col < 5; col++)
                {
                    if ((glyph[row] >> (4 - col) & 1) == 0) continue;
                    for (int dy = 0; dy < scale; dy++)
                        for (int dx = 0; dx < scale; dx++)
                        {
                            int px = x + (i * Advance + col) * scale + dx, py = y + row * scale + dy;
                            if (px < 0 || py < 0 || px >= target.Width || py >= target.Height) continue;
                            int o = (py * target.Width + px) * c;
                            if (c >= 3) { target.Pixels[o] = colour.R; target.Pixels[o + 1] = colour.G; target.Pixels[o + 2] = colour.B; }
                            else target.Pixels[o] = (byte)((colour.R * 299 + colour.G * 587 + colour.B * 114) / 1000);
                            if (c is 2 or 4) target.Pixels[o + c - 1] = 255;
                        }
                }
        }
    }
}
