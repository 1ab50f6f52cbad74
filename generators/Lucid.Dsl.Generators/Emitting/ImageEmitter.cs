using Lucid.Dsl.Generators.Helpers;
using Lucid.Dsl.Generators.Specs;

namespace Lucid.Dsl.Generators.Emitting;

/// <summary>An image declaration: its size as constants and <c>Create(seed)</c>.</summary>
internal static class ImageEmitter
{
    private const string Optvis = "global::Lucid.Optvis";

    public static string Emit(ImageSpec image)
    {
        var settings = image.Settings;
        return TypeEmitter.Write(image.Type, null, w =>
        {
            w.Member("Width in pixels.", $"public const int Width = {Names.Int(image.Width)};");
            w.Member("Height in pixels.", $"public const int Height = {Names.Int(image.Height)};");
            w.Member("Images rendered together.", $"public const int Batch = {Names.Int(image.Batch)};");
            w.Member("Channels of the rendered image (4 with alpha).", $"public const int Channels = {Names.Int(image.Channels)};");
            w.Line();
            string size = $"{Names.Int(image.Width)}, {Names.Int(image.Height)}";
            string batch = Names.Int(image.Batch);
            string decorrelate = settings.Decorrelated ? "true" : "false";
            string sd = Names.FloatLiteral(settings.Sd.Value);
            string sigmoid = settings.Clip ? "false" : "true";
            if (image.Kind == "Maco")
            {
                w.Summary("Creates MACO's phase-only image under a fixed magnitude spectrum (MacoImage.MagnitudeOf computes one from images).");
                w.Line("/// <param name=\"magnitude\">The magnitude spectrum, [C, H, W/2 + 1].</param>");
                w.Line("/// <param name=\"seed\">Seed of the initial phase.</param>");
                w.Line(TypeEmitter.GeneratedCode);
                w.Line($"public static {Optvis}.ImageParameterization Create(global::Lucid.Tensors.Tensor magnitude, ulong seed = 0) =>");
                w.Line($"    new {Optvis}.MacoImage({size}, magnitude, batch: {batch}, seed: seed);");
                return;
            }
            w.Summary("Creates the parameterization (same seed, same initial image).");
            w.Line("/// <param name=\"seed\">Seed of the initial parameters.</param>");
            w.Line(TypeEmitter.GeneratedCode);
            w.Line($"public static {Optvis}.ImageParameterization Create(ulong seed = 0) =>");
            string create = image.Kind switch
            {
                "Fourier" when image.Alpha => $"new {Optvis}.AlphaImage({size}, batch: {batch}, sd: {sd}, seed: seed)",
                "Fourier" => $"new {Optvis}.LucidImage({size}, batch: {batch}, fourier: true, decorrelate: {decorrelate}, sd: {sd}, decayPower: {Names.Literal(settings.DecayPower.Value)}, seed: seed, sigmoid: {sigmoid})",
                "Pixel" => $"new {Optvis}.LucidImage({size}, batch: {batch}, fourier: false, decorrelate: {decorrelate}, sd: {sd}, seed: seed, sigmoid: {sigmoid})",
                "LaplacianPyramid" => $"new {Optvis}.LaplacianPyramidImage({size}, levels: {Names.Int(settings.Levels.Value)}, batch: {batch}, decorrelate: {decorrelate}, sd: {sd}, seed: seed)",
                _ => $"new {Optvis}.CppnImage({size}, batch: {batch}, hidden: {Names.Int(settings.Hidden.Value)}, layers: {Names.Int(settings.Layers.Value)}, seed: seed)",
            };
            w.Line("    " + create + ";");
        });
    }
}
