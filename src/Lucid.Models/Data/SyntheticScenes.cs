using Lucid.Tensors;

namespace Lucid.Models.Data;

/// <summary>Object shapes of <see cref="SyntheticScenes"/>.</summary>
public enum SceneShape { Circle, Square, Triangle, Star, Ring, Cross }

/// <summary>Surface textures of <see cref="SyntheticScenes"/>.</summary>
public enum SceneTexture { Solid, Stripes, Dots, Checks, Gradient }

/// <summary>One object placed in a scene: its class, geometry, colour and its exact per-pixel mask.</summary>
public sealed record SceneObject(int ClassIndex, SceneShape Shape, SceneTexture Texture, float CenterX, float CenterY, float Radius, float Rotation, bool[] Mask);

/// <summary>A rendered scene: RGB pixels [3, 64, 64] in [0, 1], its objects (with masks), and whether the spurious cue was drawn for the first object's class.</summary>
public sealed record Scene(float[] Pixels, SceneObject[] Objects, bool HasCue);

/// <summary>Generation options.</summary>
public sealed record SceneOptions
{
    /// <summary>Probability that the corner cue shows the colour of the (first) object's class; otherwise it shows another class's colour. 0 draws no cue.</summary>
    public double SpuriousCueRate { get; init; }
    public float MinRadius { get; init; } = 14f;
    public float MaxRadius { get; init; } = 24f;
}

/// <summary>
/// A procedural colour dataset with ground truth: 64×64 RGB images of textured objects on textured backgrounds,
/// ten classes, each a (shape, texture) pair, so a classifier must detect both — the texture-vs-shape structure that
/// feature visualization and attribution should reveal. Every object comes with its exact per-pixel mask (pointing
/// game, mask mass), scenes can hold several objects of different classes, and an optional corner cue can be made to
/// correlate with the class at a chosen rate (a planted shortcut that FV and attribution should find).
/// Image i of a seed depends only on (seed, i): generation is deterministic, order-free and shardable.
/// </summary>
public static class SyntheticScenes
{
    public const int Size = 64;

    public static readonly IReadOnlyList<(string Name, SceneShape Shape, SceneTexture Texture)> Classes = new[]
    {
        ("striped circle", SceneShape.Circle, SceneTexture.Stripes),
        ("dotted circle", SceneShape.Circle, SceneTexture.Dots),
        ("checkered square", SceneShape.Square, SceneTexture.Checks),
        ("solid square", SceneShape.Square, SceneTexture.Solid),
        ("striped triangle", SceneShape.Triangle, SceneTexture.Stripes),
        ("gradient triangle", SceneShape.Triangle, SceneTexture.Gradient),
        ("dotted star", SceneShape.Star, SceneTexture.Dots),
        ("checkered star", SceneShape.Star, SceneTexture.Checks),
        ("solid ring", SceneShape.Ring, SceneTexture.Solid),
        ("striped cross", SceneShape.Cross, SceneTexture.Stripes),
    };

    public static IReadOnlyList<string> ClassNames { get; } = Classes.Select(c => c.Name).ToArray();

    private const int CueSize = 6;

    /// <summary>A classification set: image i shows one object of class i mod 10.</summary>
    public static LabeledImages Generate(int count, ulong seed, SceneOptions? options = null)
    {
        options ??= new SceneOptions();
        var pixels = new float[(long)count * 3 * Size * Size];
        var labels = new int[count];
        var state = new GenerateState(pixels, labels, seed, options);
        Lucid.Tensors.Kernels.ParallelKernels.For(count, state, static (i, s) => s.Run(i));
        return new LabeledImages(pixels, labels, 3, Size, Size, ClassNames);
    }

    private sealed class GenerateState(float[] pixels, int[] labels, ulong seed, SceneOptions options)
    {
        public void Run(int i)
        {
            var scene = Render(seed, i, new[] { i % Classes.Count }, options);
            scene.Pixels.CopyTo(pixels, (long)i * scene.Pixels.Length);
            labels[i] = i % Classes.Count;
        }
    }

    /// <summary>Scene <paramref name="index"/> of <paramref name="seed"/> with one object per entry of <paramref name="classes"/> (distinct regions, no overlap).</summary>
    public static Scene Render(ulong seed, long index, IReadOnlyList<int> classes, SceneOptions? options = null)
    {
        options ??= new SceneOptions();
        if (classes.Count is < 1 or > 4) throw new LucidArgumentException(nameof(classes), $"SyntheticScenes: a scene holds 1 to 4 objects, got {classes.Count}.");
        foreach (var c in classes)
            if ((uint)c >= (uint)Classes.Count) throw new LucidArgumentException(nameof(classes), $"SyntheticScenes: class {c} is not in [0, {Classes.Count}).");
        var rng = Rng.ForStream(seed, (ulong)index);
        var pixels = new float[3 * Size * Size];
        PaintBackground(rng, pixels);
        var objects = new SceneObject[classes.Count];
        var occupied = new bool[Size * Size];
        int[]? cells = null;
        for (int k = 0; k < classes.Count; k++)
        {
            var (_, shape, texture) = Classes[classes[k]];
            // one object: anywhere; several: each in its own cell of a 2×2 layout, so masks never overlap
            float radius = classes.Count == 1 ? Lerp(options.MinRadius, options.MaxRadius, rng.NextFloat()) : Lerp(9f, 13f, rng.NextFloat());
            float cx, cy;
            if (classes.Count == 1)
            {
                cx = Lerp(radius + 2, Size - radius - 2, rng.NextFloat());
                cy = Lerp(radius + 2, Size - radius - 2, rng.NextFloat());
            }
            else
            {
                cells ??= rng.Permutation(4);
                int cell = cells[k];
                float baseX = (cell % 2) * Size / 2f, baseY = (cell / 2) * Size / 2f;
                cx = baseX + Size / 4f + Lerp(-2f, 2f, rng.NextFloat());
                cy = baseY + Size / 4f + Lerp(-2f, 2f, rng.NextFloat());
            }
            float rotation = rng.NextFloat() * MathF.PI * 2;
            var color = RandomColor(rng);
            float phase = rng.NextFloat();
            var mask = new bool[Size * Size];
            float cos = MathF.Cos(rotation), sin = MathF.Sin(rotation);
            for (int y = 0; y < Size; y++)
                for (int x = 0; x < Size; x++)
                {
                    float dx = (x + 0.5f - cx) / radius, dy = (y + 0.5f - cy) / radius;
                    float u = cos * dx + sin * dy, v = -sin * dx + cos * dy;
                    if (!Inside(shape, u, v) || occupied[y * Size + x]) continue;
                    mask[y * Size + x] = true;
                    occupied[y * Size + x] = true;
                    float shade = Texture(texture, u, v, phase);
                    for (int c = 0; c < 3; c++)
                        pixels[(c * Size + y) * Size + x] = Math.Clamp(texture == SceneTexture.Gradient ? color[c] * shade + (1 - shade) * 0.95f : color[c] * shade, 0f, 1f);
                }
            objects[k] = new SceneObject(classes[k], shape, texture, cx, cy, radius, rotation, mask);
        }
        bool hasCue = false;
        if (options.SpuriousCueRate > 0)
        {
            int cueClass = classes[0];
            hasCue = rng.NextDouble() < options.SpuriousCueRate;
            if (!hasCue) cueClass = (classes[0] + 1 + (int)(rng.NextUInt64() % (ulong)(Classes.Count - 1))) % Classes.Count;
            var cue = ClassColor(cueClass);
            for (int y = 1; y < 1 + CueSize; y++)
                for (int x = 1; x < 1 + CueSize; x++)
                    for (int c = 0; c < 3; c++) pixels[(c * Size + y) * Size + x] = cue[c];
        }
        return new Scene(pixels, objects, hasCue);
    }

    private static float Lerp(float a, float b, float t) => a + (b - a) * t;

    private static void PaintBackground(Rng rng, float[] pixels)
    {
        var baseColor = new float[3];
        float level = Lerp(0.15f, 0.6f, rng.NextFloat());
        for (int c = 0; c < 3; c++) baseColor[c] = Math.Clamp(level + Lerp(-0.12f, 0.12f, rng.NextFloat()), 0f, 1f);
        float angle = rng.NextFloat() * MathF.PI, freq = Lerp(0.05f, 0.2f, rng.NextFloat()), gx = Lerp(-0.004f, 0.004f, rng.NextFloat()), gy = Lerp(-0.004f, 0.004f, rng.NextFloat());
        float ca = MathF.Cos(angle), sa = MathF.Sin(angle);
        for (int y = 0; y < Size; y++)
            for (int x = 0; x < Size; x++)
            {
                float wave = 0.06f * MathF.Sin(freq * (ca * x + sa * y) * 2 * MathF.PI / 4f);
                float ramp = gx * (x - Size / 2f) + gy * (y - Size / 2f);
                for (int c = 0; c < 3; c++)
                    pixels[(c * Size + y) * Size + x] = Math.Clamp(baseColor[c] + wave + ramp + 0.04f * (float)rng.NextNormal(), 0f, 1f);
            }
    }

    private static float[] RandomColor(Rng rng)
    {
        float hue = rng.NextFloat() * 360f, saturation = Lerp(0.55f, 1f, rng.NextFloat()), value = Lerp(0.7f, 1f, rng.NextFloat());
        return Hsv(hue, saturation, value);
    }

    /// <summary>The cue colour of a class: hues spaced 36° apart, full saturation.</summary>
    public static float[] ClassColor(int classIndex) => Hsv(classIndex * 36f, 1f, 1f);

    private static float[] Hsv(float h, float s, float v)
    {
        float c = v * s, hp = h / 60f % 6f, x = c * (1 - MathF.Abs(hp % 2 - 1)), m = v - c;
        var (r, g, b) = (int)hp switch { 0 => (c, x, 0f), 1 => (x, c, 0f), 2 => (0f, c, x), 3 => (0f, x, c), 4 => (x, 0f, c), _ => (c, 0f, x) };
        return new[] { r + m, g + m, b + m };
    }

    private static bool Inside(SceneShape shape, float u, float v)
    {
        float rho = MathF.Sqrt(u * u + v * v);
        switch (shape)
        {
            case SceneShape.Circle: return rho <= 1f;
            case SceneShape.Square: return MathF.Max(MathF.Abs(u), MathF.Abs(v)) <= 0.7f; // corners on the unit circle
            case SceneShape.Ring: return rho <= 1f && rho >= 0.55f;
            case SceneShape.Cross: return (MathF.Abs(u) <= 0.3f && MathF.Abs(v) <= 0.95f) || (MathF.Abs(v) <= 0.3f && MathF.Abs(u) <= 0.95f);
            case SceneShape.Triangle:
                // vertices (0, −1), (0.87, 0.5), (−0.87, 0.5): inside all three edges
                return v <= 0.5f && 1.732f * u - v <= 1f && -1.732f * u - v <= 1f;
            default:
                float theta = MathF.Atan2(v, u);
                float lobe = (MathF.Cos(5 * theta) + 1) / 2;
                return rho <= 0.42f + 0.58f * lobe * lobe;
        }
    }

    /// <summary>Brightness factor of a texture at object-local coordinates (rotates with the object).</summary>
    private static float Texture(SceneTexture texture, float u, float v, float phase)
    {
        switch (texture)
        {
            case SceneTexture.Stripes: return MathF.Sin((u * 3.5f + phase) * 2 * MathF.PI) > 0 ? 1f : 0.3f;
            case SceneTexture.Checks: return MathF.Sin((u * 2.2f + phase) * MathF.PI) * MathF.Sin((v * 2.2f + phase) * MathF.PI) > 0 ? 1f : 0.3f;
            case SceneTexture.Dots:
            {
                float fu = (u * 2.5f + phase) % 1f, fv = (v * 2.5f + phase) % 1f;
                if (fu < 0) fu += 1;
                if (fv < 0) fv += 1;
                float du = fu - 0.5f, dv = fv - 0.5f;
                return du * du + dv * dv < 0.09f ? 0.3f : 1f;
            }
            case SceneTexture.Gradient: return Math.Clamp((u + 1f) / 2f, 0f, 1f);
            default: return 1f;
        }
    }
}
