// TorchSharp's random generator is process-wide: test classes building seeded networks at the same time would draw
// each other's numbers. They run one at a time.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
