using Lucid.Imaging;
using Lucid.Tensors;
using SkiaSharp;

namespace Lucid.Interfaces.Figures;

/// <summary>
/// Draws a <see cref="Figure"/> with Skia — the SVG's layout (<see cref="Svg.Measure"/>), its text in the embedded
/// DejaVu Sans — onto a raster (PNG, at any scale) or a vector PDF, on any machine, without a browser or a system font.
/// The raster is deterministic: the same figure gives the same pixels on the same machine and library versions.
/// </summary>
public static class FigureSkia
{
    private const int Margin = 12, TitleSize = 16, CaptionSize = 11, PanelPadding = 8;

    private static readonly Lazy<SKTypeface> Regular = new(() => LoadFont("Lucid.Fonts.DejaVuSans.ttf"));
    private static readonly Lazy<SKTypeface> Bold = new(() => LoadFont("Lucid.Fonts.DejaVuSans-Bold.ttf"));

    /// <summary>The embedded DejaVu Sans (regular or bold), shared with the charts.</summary>
    public static SKTypeface Typeface(bool bold) => bold ? Bold.Value : Regular.Value;

    private static SKTypeface LoadFont(string resource)
    {
        using var stream = typeof(FigureSkia).Assembly.GetManifestResourceStream(resource)
            ?? throw new LucidException($"figure: the embedded font '{resource}' is missing from {typeof(FigureSkia).Assembly.GetName().Name}.");
        using var data = SKData.Create(stream);
        return SKTypeface.FromData(data) ?? throw new LucidException($"figure: the embedded font '{resource}' could not be read.");
    }

    /// <summary>The figure as an RGB image, <paramref name="scale"/> pixels per SVG unit (2 for a 192-dpi figure).</summary>
    public static Image Rasterize(Figure figure, float scale = 1f)
    {
        var (width, height, _, _) = Svg.Canvas(figure);
        return Raster(width, height, scale, canvas => Paint(canvas, figure));
    }

    /// <summary>Writes the figure as a PNG (our encoder: deterministic bytes), atomically.</summary>
    public static void SavePng(Figure figure, string path, float scale = 1f) => Rasterize(figure, scale).SavePng(path);

    /// <summary>Writes the figure as a one-page vector PDF (text as text, images embedded), atomically.</summary>
    public static void SavePdf(Figure figure, string path)
    {
        var (width, height, _, _) = Svg.Canvas(figure);
        Pdf(path, figure.Title, width, height, canvas => Paint(canvas, figure));
    }

    /// <summary>
    /// Draws <paramref name="paint"/> (in units of <paramref name="width"/> × <paramref name="height"/>) at
    /// <paramref name="scale"/> onto a white RGB image — the one raster path of figures and charts.
    /// </summary>
    internal static Image Raster(int width, int height, float scale, Action<SKCanvas> paint)
    {
        if (!(scale > 0) || scale > 16) throw new LucidArgumentException(nameof(scale), $"figure: scale must lie in (0, 16], got {scale}.");
        int w = (int)Math.Ceiling(width * scale), h = (int)Math.Ceiling(height * scale);
        var info = new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var pixels = new byte[w * h * 4];
        unsafe
        {
            fixed (byte* p = pixels)
            {
                using var surface = SKSurface.Create(info, (IntPtr)p, w * 4)
                    ?? throw new LucidException($"figure: Skia could not create a {w}×{h} canvas.");
                surface.Canvas.Clear(SKColors.White);
                surface.Canvas.Scale(scale);
                paint(surface.Canvas);
                surface.Canvas.Flush();
            }
        }
        var image = new Image(w, h, 3);
        for (int i = 0; i < w * h; i++)
        {
            image.Pixels[3 * i] = pixels[4 * i];
            image.Pixels[3 * i + 1] = pixels[4 * i + 1];
            image.Pixels[3 * i + 2] = pixels[4 * i + 2];
        }
        return image;
    }

    /// <summary>Writes <paramref name="paint"/> as a one-page PDF, atomically: fixed dates (byte-stable), images lossless.</summary>
    internal static void Pdf(string path, string title, int width, int height, Action<SKCanvas> paint) => AtomicFile.Write(path, stream =>
    {
        var fixedDate = new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        // EncodingQuality above 100: images are embedded losslessly (Skia would otherwise JPEG-compress them, and small
        // icons lose their colour)
        var metadata = new SKDocumentPdfMetadata { Title = title, Creator = "Lucid.Dsl", Producer = "Lucid.Dsl (Skia)", Creation = fixedDate, Modified = fixedDate, EncodingQuality = 101 };
        using var managed = new SKManagedWStream(stream);
        using var document = SKDocument.CreatePdf(managed, metadata) ?? throw new LucidException("figure: Skia could not create a PDF document.");
        paint(document.BeginPage(width, height));
        document.EndPage();
        document.Close();
    });

    private static void Paint(SKCanvas canvas, Figure figure)
    {
        var (width, height, rootX, rootY) = Svg.Canvas(figure);
        canvas.Clear(SKColors.White);
        using var white = new SKPaint { Color = SKColors.White, Style = SKPaintStyle.Fill };
        canvas.DrawRect(0, 0, width, height, white);
        DrawText(canvas, figure.Title, Margin, Margin + TitleSize, TitleSize, bold: true);
        Draw(canvas, figure.Root, rootX, rootY);
    }

    private static void Draw(SKCanvas canvas, FigureElement element, int x, int y)
    {
        switch (element)
        {
            case Row r:
                foreach (var child in r.Children) { Draw(canvas, child, x, y); x += Svg.Measure(child).Width + r.Gap; }
                break;
            case Column c:
                foreach (var child in c.Children) { Draw(canvas, child, x, y); y += Svg.Measure(child).Height + c.Gap; }
                break;
            case Panel p:
            {
                var (w, h) = Svg.Measure(p);
                using var stroke = new SKPaint { Color = new SKColor(0xcc, 0xcc, 0xcc), Style = SKPaintStyle.Stroke, StrokeWidth = 1 };
                canvas.DrawRect(x + 0.5f, y + 0.5f, w - 1, h - 1, stroke);
                DrawText(canvas, p.Title, x + PanelPadding, y + PanelPadding + 12, 12, bold: true);
                Draw(canvas, p.Content, x + PanelPadding, y + PanelPadding + 18);
                break;
            }
            case ImageCell i:
                DrawImage(canvas, i.Image, x, y, i.Width, i.Height);
                if (i.Caption is { } caption) DrawText(canvas, caption, x, y + i.Height + CaptionSize + 1, CaptionSize);
                break;
            case Text t:
                DrawText(canvas, t.Value, x, y + t.Size, t.Size, t.Bold);
                break;
            case ColorLegend l:
            {
                var colours = Enumerable.Range(0, 11).Select(k => { var (r, g, b) = l.Map[k / 10.0]; return new SKColor(r, g, b); }).ToArray();
                using var shader = SKShader.CreateLinearGradient(new SKPoint(x, 0), new SKPoint(x + l.Width, 0), colours,
                    Enumerable.Range(0, 11).Select(k => k / 10f).ToArray(), SKShaderTileMode.Clamp);
                using var fill = new SKPaint { Shader = shader };
                canvas.DrawRect(x, y, l.Width, l.Height, fill);
                DrawText(canvas, l.Low, x, y + l.Height + CaptionSize + 1, CaptionSize);
                DrawText(canvas, l.High, x + l.Width, y + l.Height + CaptionSize + 1, CaptionSize, align: SKTextAlign.Right);
                break;
            }
            case Flow f:
            {
                int sourceHeight = Svg.Measure(new Row(f.Sources)).Height, targetTop = y + sourceHeight + f.Gap;
                var from = Svg.FlowCentres(f.Sources, x);
                var to = Svg.FlowCentres(f.Targets, x);
                double max = 0;
                foreach (var weight in f.Weights) max = Math.Max(max, Math.Abs(weight));
                for (int i = 0; i < f.Sources.Count; i++)
                    for (int j = 0; j < f.Targets.Count; j++)
                    {
                        double weight = f.Weights[i, j];
                        if (max == 0 || weight == 0) continue;
                        using var line = new SKPaint
                        {
                            Color = weight > 0 ? new SKColor(0xd6, 0x27, 0x28, 204) : new SKColor(0x1f, 0x77, 0xb4, 204),
                            StrokeWidth = (float)(6 * Math.Abs(weight) / max), Style = SKPaintStyle.Stroke, IsAntialias = true,
                        };
                        canvas.DrawLine(from[i], y + sourceHeight + 2, to[j], targetTop - 2, line);
                    }
                Draw(canvas, new Row(f.Sources), x, y);
                Draw(canvas, new Row(f.Targets), x, targetTop);
                break;
            }
            default:
                throw new LucidArgumentException(nameof(element), $"figure: unknown element {element.GetType().Name}.");
        }
    }

    private static void DrawText(SKCanvas canvas, string text, float x, float baseline, float size, bool bold = false, SKTextAlign align = SKTextAlign.Left)
    {
        using var font = new SKFont(bold ? Bold.Value : Regular.Value, size) { Edging = SKFontEdging.Antialias, Subpixel = false, Hinting = SKFontHinting.Normal };
        using var paint = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        // one line per line of the text (details may hold several)
        foreach (var line in text.Split('\n'))
        {
            canvas.DrawText(line, x, baseline, align, font, paint);
            baseline += size * 1.2f;
        }
    }

    /// <summary>Draws the image at w × h with nearest-neighbour sampling (pixels stay pixels), alpha over white.</summary>
    private static void DrawImage(SKCanvas canvas, Image image, int x, int y, int w, int h)
    {
        var rgba = new byte[image.Width * image.Height * 4];
        int ch = image.Channels;
        for (int i = 0; i < image.Width * image.Height; i++)
        {
            byte r = image.Pixels[i * ch], g = ch >= 3 ? image.Pixels[i * ch + 1] : r, b = ch >= 3 ? image.Pixels[i * ch + 2] : r;
            byte a = ch is 2 or 4 ? image.Pixels[i * ch + ch - 1] : (byte)255;
            rgba[4 * i] = r; rgba[4 * i + 1] = g; rgba[4 * i + 2] = b; rgba[4 * i + 3] = a;
        }
        // opaque images say so (the PDF backend then embeds plain RGB); others are unpremultiplied RGBA
        var info = new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, ch is 2 or 4 ? SKAlphaType.Unpremul : SKAlphaType.Opaque);
        using var data = SKData.CreateCopy(rgba);
        using var skImage = SKImage.FromPixels(info, data, image.Width * 4)
            ?? throw new LucidException($"figure: Skia could not take a {image.Width}×{image.Height} image.");
        using var paint = new SKPaint();
        canvas.DrawImage(skImage, new SKRect(x, y, x + w, y + h), new SKSamplingOptions(SKFilterMode.Nearest), paint);
    }
}
