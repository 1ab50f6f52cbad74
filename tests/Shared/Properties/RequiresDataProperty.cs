using FsCheck.Xunit;

namespace Lucid.Testing;

/// <summary>
/// A property that needs data from a Debian package: as <c>RequiresDataFact</c> — skipped with the
/// install command on a bare machine, never skipped under CI (CI=true).
/// </summary>
public sealed class RequiresDataPropertyAttribute : PropertyAttribute
{
    public RequiresDataPropertyAttribute(string path, string debianPackage)
    {
        bool ci = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
        if (!ci && !Directory.Exists(path) && !File.Exists(path))
            Skip = $"needs {path}: apt-get install -y {debianPackage}";
    }
}
