using Lucid.Models.Graph;
using Lucid.Tensors;
using Lucid.Tensors.Autograd;

namespace Lucid.Optvis;

/// <summary>
/// Measures of how good a visualization is, as plain functions (usable in tests and reports). Images are
/// [C, H, W] or [1, C, H, W] tensors in [0, 1]; spectra use the channel mean (luminance-like).
/// </summary>
public static class Quality
{
    /// <summary>
    /// Activation ratio: the render's mean activation of (tap, channel) divided by the largest mean activation that
    /// channel reaches on <paramref name="references"/> (real images, [N, C, H, W]). Above 1: the render drives the unit
    /// harder than any real image in the set.
    /// </summary>
    public static double ActivationRatio(Model model, Tensor render, string tap, int channel, Tensor references, int batch = 64)
    {
        var ours = ChannelMeans(model, render, tap, channel, batch);
        var theirs = ChannelMeans(model, references, tap, channel, batch);
        double best = theirs.Max();
        if (!(best > 0)) throw new LucidArgumentException(nameof(references), $"activation ratio: channel {channel} of '{tap}' is never positive on the reference images.");
        return ours.Average() / best;
    }

    private static double[] ChannelMeans(Model model, Tensor images, string tap, int channel, int batch)
    {
        int c = model[tap].OutputShape[0];
        if (channel < 0 || channel >= c) throw new LucidArgumentException(nameof(channel), $"activation ratio: tap '{tap}' has {c} channels; channel {channel} does not exist.");
        return model.ChannelMeans(images, tap, batch).Select(means => means[channel]).ToArray();
    }

    /// <summary>The model's softmax probability of <paramref name="classIndex"/> for each image, and the logit margin over the best other class.</summary>
    public static (double Probability, double Margin)[] SelfClassification(Model model, Tensor images, int classIndex)
    {
        using var _ = GradMode.NoGrad();
        using var scope = Tensor.Scope();
        var logits = model.Forward(images);
        int n = logits.Size(0), k = logits.Size(1);
        if (classIndex < 0 || classIndex >= k) throw new LucidArgumentException(nameof(classIndex), $"self-classification: class {classIndex} is out of range for {k} classes.");
        var d = logits.ToArray();
        var result = new (double, double)[n];
        for (int e = 0; e < n; e++)
        {
            var row = d.AsSpan(e * k, k);
            double max = double.NegativeInfinity, other = double.NegativeInfinity;
            for (int j = 0; j < k; j++)
            {
                max = Math.Max(max, row[j]);
                if (j != classIndex) other = Math.Max(other, row[j]);
            }
            double sum = 0;
            for (int j = 0; j < k; j++) sum += Math.Exp(row[j] - max);
            result[e] = (Math.Exp(row[classIndex] - max) / sum, row[classIndex] - other);
        }
        return result;
    }

    /// <summary>
    /// Feature-distribution distance at <paramref name="tap"/>: the mean over <paramref name="images"/> of VITAL's
    /// sort-matching distance (1/(C·N))·Σ_c ‖sort(a_c) − q_c‖² between each image's activations and the mean sorted
    /// activations q of <paramref name="references"/> — a per-channel squared 1-D Wasserstein-2 distance. Scored at a
    /// layer a render did not optimize and against images it never saw, it tells how natural its features are.
    /// </summary>
    public static double FeatureDistributionDistance(Model model, Tensor images, Tensor references, string tap)
    {
        var quantiles = Vital.Quantiles(model, references, new[] { tap });
        try { return FeatureDistributionDistanceToQuantiles(model, images, quantiles[tap], tap); }
        finally { quantiles[tap].Dispose(); }
    }

    /// <summary>As above, against reference quantiles [C, N] computed once (<see cref="Vital.Quantiles"/>).</summary>
    public static double FeatureDistributionDistanceToQuantiles(Model model, Tensor images, Tensor quantiles, string tap)
    {
        using var _ = GradMode.NoGrad();
        using var scope = Tensor.Scope();
        var a = model.Run(images, null, stopAfter: tap)[tap];
        int b = a.Size(0), c = a.Size(1), n = a.Count / (b * c);
        if (quantiles.Size(0) != c || quantiles.Size(1) != n)
            throw new ShapeMismatchException($"feature distance: tap '{tap}' gives [{c}, {n}] activations for the images and [{quantiles.Size(0)}, {quantiles.Size(1)}] for the references (use images of the references' size).");
        var d = a.Data;
        var qd = quantiles.Data;
        var row = new float[n];
        double total = 0;
        for (int e = 0; e < b; e++)
            for (int ch = 0; ch < c; ch++)
            {
                d.Slice((e * c + ch) * n, n).CopyTo(row);
                Array.Sort(row);
                for (int i = 0; i < n; i++)
                {
                    double diff = row[i] - qd[ch * n + i];
                    total += diff * diff;
                }
            }
        return total / ((double)b * c * n);
    }

    /// <summary>
    /// The radially averaged power spectrum of the image's channel mean: power per integer radius bin (in units of
    /// 1/max(H, W) cycles per pixel), DC excluded, up to the Nyquist radius.
    /// </summary>
    public static double[] RadialPowerSpectrum(Tensor image)
    {
        var (plane, h, w) = Luminance(image);
        var full = PowerSpectrum(plane, h, w);
        int bins = Math.Max(h, w) / 2;
        var power = new double[bins + 1];
        var count = new int[bins + 1];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                double fy = (y <= h / 2 ? y : y - h) / (double)h, fx = (x <= w / 2 ? x : x - w) / (double)w;
                int r = (int)Math.Round(Math.Sqrt(fx * fx + fy * fy) * Math.Max(h, w));
                if (r == 0 || r > bins) continue;
                power[r] += full[y * w + x];
                count[r]++;
            }
        for (int r = 1; r <= bins; r++) power[r] = count[r] == 0 ? 0 : power[r] / count[r];
        return power;
    }

    /// <summary>
    /// The slope of log power against log frequency (least squares over radii 2 … Nyquist): natural images sit near −2
    /// (Field, 1987); renders with high-frequency noise are flatter.
    /// </summary>
    public static double SpectralSlope(Tensor image)
    {
        var p = RadialPowerSpectrum(image);
        var xs = new List<double>();
        var ys = new List<double>();
        for (int r = 2; r < p.Length; r++)
            if (p[r] > 0) { xs.Add(Math.Log(r)); ys.Add(Math.Log(p[r])); }
        if (xs.Count < 2) throw new LucidArgumentException(nameof(image), "spectral slope: the image is too small or constant.");
        double mx = xs.Average(), my = ys.Average();
        double num = xs.Zip(ys).Sum(t => (t.First - mx) * (t.Second - my)), den = xs.Sum(x => (x - mx) * (x - mx));
        return num / den;
    }

    /// <summary>The share of the (non-DC) spectral energy above <paramref name="cutoff"/> cycles per pixel (0.25: the upper half of the band).</summary>
    public static double HighFrequencyEnergyRatio(Tensor image, double cutoff = 0.25)
    {
        var (plane, h, w) = Luminance(image);
        var power = PowerSpectrum(plane, h, w);
        double high = 0, total = 0, dc = power[0];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                if (x == 0 && y == 0) continue;
                double fy = (y <= h / 2 ? y : y - h) / (double)h, fx = (x <= w / 2 ? x : x - w) / (double)w;
                double e = power[y * w + x];
                total += e;
                if (Math.Sqrt(fx * fx + fy * fy) > cutoff) high += e;
            }
        // a flat image has only float32 rounding noise off DC (amplitudes ~1e-7 of the DC term, so powers ~1e-14 each):
        // no structure, no high frequencies
        return total <= 1e-10 * Math.Max(dc, 1) ? 0 : high / total;
    }

    /// <summary>
    /// Repetition: the largest normalized circular autocorrelation of the (mean-removed) channel mean outside a radius
    /// of <paramref name="exclusion"/> pixels around zero shift — near 1 for a tiled pattern, small for natural images.
    /// </summary>
    public static double RepetitionScore(Tensor image, int exclusion = 3)
    {
        var (plane, h, w) = Luminance(image);
        double mean = plane.Average();
        for (int i = 0; i < plane.Length; i++) plane[i] -= mean;
        // the circular autocorrelation is the inverse DFT of the power spectrum (real, so its half spectrum suffices)
        double[] auto;
        using (GradMode.NoGrad())
        using (Tensor.Scope())
        {
            var spectrum = Ops.Rfft2(Tensor.FromArray(plane.Select(v => (float)v).ToArray(), h, w));
            var sd = spectrum.Data;
            for (int i = 0; i < sd.Length; i += 2)
            {
                sd[i] = sd[i] * sd[i] + sd[i + 1] * sd[i + 1];
                sd[i + 1] = 0f;
            }
            auto = Ops.Irfft2(spectrum, w).ToArray().Select(v => (double)v).ToArray();
        }
        double zero = auto[0];
        if (zero <= 0) return 0;
        double best = 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int dy = Math.Min(y, h - y), dx = Math.Min(x, w - x);
                if (dy * dy + dx * dx <= exclusion * exclusion) continue;
                best = Math.Max(best, auto[y * w + x] / zero);
            }
        return best;
    }

    /// <summary>
    /// The Vendi score (Friedman &amp; Dieng, 2023) of a set of feature vectors [n, d]: exp of the Shannon entropy of the
    /// eigenvalues of K/n with K the cosine-similarity matrix — the effective number of distinct items (1 … n).
    /// </summary>
    public static double VendiScore(float[][] features)
    {
        int n = features.Length;
        if (n == 0) throw new LucidArgumentException(nameof(features), "Vendi score: no items.");
        var unit = features.Select(f =>
        {
            double norm = Math.Sqrt(f.Sum(v => (double)v * v));
            return f.Select(v => norm > 0 ? v / norm : 0).ToArray();
        }).ToArray();
        var k = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) k[i, j] = unit[i].Zip(unit[j]).Sum(t => t.First * t.Second) / n;
        var eigen = Jacobi.Eigen(k).Values;
        double entropy = 0;
        foreach (var l in eigen)
            if (l > 1e-12) entropy -= l * Math.Log(l);
        return Math.Exp(entropy);
    }

    /// <summary>
    /// Transferability: the self-classification of renders made on one model, measured on another, independently
    /// trained one (same labels) — do the renders show the class, or only what one network keys on?
    /// </summary>
    public static (double Probability, double Margin)[] Transferability(Model other, Tensor renders, int classIndex) =>
        SelfClassification(other, renders, classIndex);

    /// <summary>
    /// The path-similarity sanity check: at each layer, the Spearman rank correlation between the render's
    /// channel-mean activation vector and the mean vector of real images of its class, and the mean such correlation
    /// with every other class's real images. A render that follows the network's path for its class correlates more
    /// with its own class at most layers.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="render">One render [1, C, H, W].</param>
    /// <param name="realByClass">Real images of each class, [N_k, C, H, W], indexed by class.</param>
    /// <param name="classIndex">The render's class.</param>
    /// <param name="taps">Spatial layers to compare at.</param>
    public static PathSimilarity PathSimilarityCheck(Model model, Tensor render, IReadOnlyList<Tensor> realByClass, int classIndex, IReadOnlyList<string> taps)
    {
        if (taps.Count == 0) throw new LucidArgumentException(nameof(taps), "path similarity: give at least one layer.");
        return PathSimilarityCheck(model, render, realByClass.Select(images => PathProfile(model, images, taps)).ToList(), classIndex, taps);
    }

    /// <summary>As above, with each class's profile (<see cref="PathProfile"/> of its real images) computed once.</summary>
    public static PathSimilarity PathSimilarityCheck(Model model, Tensor render, IReadOnlyList<double[][]> classProfiles, int classIndex, IReadOnlyList<string> taps)
    {
        if (classIndex < 0 || classIndex >= classProfiles.Count)
            throw new LucidArgumentException(nameof(classIndex), $"path similarity: class {classIndex} has no real images ({classProfiles.Count} classes given).");
        if (classProfiles.Count < 2) throw new LucidArgumentException(nameof(classProfiles), "path similarity: needs real images of at least two classes.");
        if (taps.Count == 0) throw new LucidArgumentException(nameof(taps), "path similarity: give at least one layer.");
        var renderMeans = PathProfile(model, render, taps);
        var same = new double[taps.Count];
        var other = new double[taps.Count];
        for (int l = 0; l < taps.Count; l++)
        {
            same[l] = Spearman(renderMeans[l], classProfiles[classIndex][l]);
            other[l] = Enumerable.Range(0, classProfiles.Count).Where(k => k != classIndex).Average(k => Spearman(renderMeans[l], classProfiles[k][l]));
        }
        return new PathSimilarity(taps.ToArray(), same, other);
    }

    /// <summary>A set of images' path through the network: per tap, the mean over images and positions of each channel ([C] per tap).</summary>
    public static double[][] PathProfile(Model model, Tensor images, IReadOnlyList<string> taps)
    {
        using var _ = GradMode.NoGrad();
        using var scope = Tensor.Scope();
        var last = taps.OrderBy(t => model.Nodes.ToList().FindIndex(n => n.Name == t)).Last();
        var values = model.Run(images, null, stopAfter: last);
        return taps.Select(tap =>
        {
            var a = values.TryGetValue(tap, out var t) ? t : throw model.UnknownTap(tap);
            int n = a.Size(0), c = a.Size(1), plane = a.Count / (n * c);
            var d = a.Data;
            var means = new double[c];
            for (int e = 0; e < n; e++)
                for (int ch = 0; ch < c; ch++)
                {
                    double s = 0;
                    for (int i = 0; i < plane; i++) s += d[(e * c + ch) * plane + i];
                    means[ch] += s / plane / n;
                }
            return means;
        }).ToArray();
    }

    /// <summary>Spearman's rank correlation (average ranks for ties); 0 when either side is constant.</summary>
    public static double Spearman(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        if (a.Count != b.Count || a.Count < 2) throw new LucidArgumentException(nameof(b), $"Spearman: needs two vectors of the same length ≥ 2, got {a.Count} and {b.Count}.");
        return Statistics.Spearman(a, b);
    }

    // ---- helpers ----

    private static (double[] Plane, int H, int W) Luminance(Tensor image)
    {
        var shape = image.Shape.ToArray();
        if (shape.Length == 4 && shape[0] == 1) shape = shape[1..];
        if (shape.Length != 3) throw new ShapeMismatchException($"quality: expected one image [C, H, W], got [{string.Join(", ", image.Shape.ToArray())}].");
        int c = shape[0], h = shape[1], w = shape[2];
        var d = image.Data;
        var plane = new double[h * w];
        for (int ch = 0; ch < c; ch++)
            for (int i = 0; i < h * w; i++) plane[i] += d[ch * h * w + i] / (double)c;
        return (plane, h, w);
    }

    /// <summary>|DFT|² of a real plane at every bin [H·W], from the engine's half spectrum and Hermitian symmetry.</summary>
    private static double[] PowerSpectrum(double[] plane, int h, int w)
    {
        using var _ = GradMode.NoGrad();
        using var scope = Tensor.Scope();
        var half = Ops.Rfft2(Tensor.FromArray(plane.Select(v => (float)v).ToArray(), h, w)).Data;
        int wf = w / 2 + 1;
        var power = new double[h * w];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                // bins past W/2 mirror the conjugate bin (−y, −x)
                int sy = x < wf ? y : (h - y) % h, sx = x < wf ? x : w - x;
                double re = half[2 * (sy * wf + sx)], im = half[2 * (sy * wf + sx) + 1];
                power[y * w + x] = re * re + im * im;
            }
        return power;
    }
}

/// <summary>The path-similarity check per layer: the correlation with the render's own class and the mean with the others.</summary>
public sealed record PathSimilarity(string[] Taps, double[] Same, double[] Other)
{
    /// <summary>The share of layers where the render correlates more with its own class than with the others on average.</summary>
    public double LayersPassing => Same.Zip(Other).Count(p => p.First > p.Second) / (double)Same.Length;
}
