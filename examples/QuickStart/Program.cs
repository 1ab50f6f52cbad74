using Lucid.Dsl;
using Lucid.Imaging;
using Lucid.Models.Data;

var model = InceptionMini.Load();

// Feature visualization: a 64×64 render of the declared objective, seeded (same seed, same PNG).
var render = SolidRingRender.Run(model, seed: 1);
render.SavePng("quickstart-render.png");
Console.WriteLine($"render: objective {render.ObjectivePerStep[0]:F3} → {render.ObjectivePerStep[^1]:F3}; " +
    string.Join(", ", render.TermsPerStep.Select(t => $"{t.Key} {t.Value[^1]:F3}")) + " → quickstart-render.png");

// Attribution: LRP of one synthetic scene, with the stem convolution's rule overridden.
var scenes = SyntheticScenes.Generate(count: 20, seed: 3);
var (scene, _) = scenes.Gather([Array.IndexOf(scenes.Labels, (int)InceptionMini.Label.SolidRing)]);
var lrp = RingLrp.Attribute(model, scene);
Heatmap.Render(lrp.Attribution, HeatmapScaling.Signed, Colormap.Bwr, percentile: 99.5).SavePng("quickstart-lrp.png");
Console.WriteLine($"lrp: logit {lrp.TargetValues[0]:F2}, relevance {lrp.Attribution.Sum().Item():F2} → quickstart-lrp.png");

[LucidModel("models/inception-mini/inception-mini.schema.json")]
static partial class InceptionMini;

[Objective(typeof(InceptionMini))]
partial class SolidRing
{
    [ClassLogProbability("solid ring")] public partial Term Ring { get; }
    [Channel("mixed4b", 7)] public partial Term Unit { get; }
    [TotalVariation(Weight = 1e-4)] public partial Term Smooth { get; }
    public Term Compose() => Ring + 0.1 * Unit - Smooth;
}

[FourierImage(Width = 64, Sd = 0.05f)] partial class Canvas;

// For a 64-pixel model: a roll jitter instead of Lucid's resampling transforms (see RenderOptions.ForSmallInput).
[TransformSet, Roll(4)] partial class SmallModelTransforms;

[Render(typeof(Canvas), typeof(SolidRing), Steps = 256, LearningRate = 0.2, Transforms = typeof(SmallModelTransforms), Thresholds = new[] { 64, 256 })]
partial class SolidRingRender;

[Attribution(typeof(InceptionMini), AttributionKind.Lrp, Class = "solid ring", Composite = Lucid.Attribution.LrpComposite.EpsilonPlusFlat)]
[LrpRule("conv2d0_pre_relu", LrpRuleKind.ZBox)]
partial class RingLrp;
