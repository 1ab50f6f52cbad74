using Xunit;

namespace Lucid.Testing;

/// <summary>
/// A fact that needs data from a Debian package. On a bare machine it is skipped with the install command as the
/// reason; under CI (CI=true) it is never skipped — it runs and fails if the data is missing.
/// </summary>
public sealed class RequiresDataFactAttribute : FactAttribute
{
    public RequiresDataFactAttribute(string path, string debianPackage)
    {
        bool ci = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
        if (!ci && !Directory.Exists(path) && !File.Exists(path))
            Skip = $"needs {path}: apt-get install -y {debianPackage}";
    }
}
