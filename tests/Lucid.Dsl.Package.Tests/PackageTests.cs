using System.Diagnostics;
using System.IO.Compression;
using Xunit;

namespace Lucid.Dsl.Package.Tests;

/// <summary>
/// The Lucid.Dsl package works outside this solution: `dotnet pack` the runtime projects into a local folder, then a
/// fresh project that references only the package (through a nuget.config with that folder) compiles a declaration,
/// runs it, and fails to compile an out-of-range channel with LUCID002 — the generator ships inside the package.
/// </summary>
public class PackageTests
{
    private static readonly string[] Projects = { "Lucid.Tensors", "Lucid.Models", "Lucid.Imaging", "Lucid.Optvis", "Lucid.Attribution", "Lucid.Interfaces", "Lucid.Dsl" };

    [Fact]
    public void PackedPackage_FromALocalFolder_GeneratesValidatesAndRuns()
    {
        var root = RepositoryRoot();
        var work = Directory.CreateTempSubdirectory("lucid-package-");
        try
        {
            var feed = Path.Combine(work.FullName, "feed");
            var version = "0.0.0-test." + Guid.NewGuid().ToString("N")[..8];
            foreach (var project in Projects)
                Dotnet(root, $"pack src/{project} -c Release -o \"{feed}\" -p:Version={version} -p:ContinuousIntegrationBuild=false");

            using (var package = ZipFile.OpenRead(Path.Combine(feed, $"Lucid.Dsl.{version}.nupkg")))
            {
                var entries = package.Entries.Select(e => e.FullName).ToList();
                Assert.Contains("analyzers/dotnet/cs/Lucid.Dsl.Generators.dll", entries);
                Assert.Contains("lib/net10.0/Lucid.Dsl.dll", entries);
                Assert.Contains("build/Lucid.Dsl.props", entries);
                Assert.DoesNotContain(entries, e => e.StartsWith("lib/") && e.EndsWith("Lucid.Dsl.Generators.dll"));
            }

            var consumer = Path.Combine(work.FullName, "consumer");
            Directory.CreateDirectory(Path.Combine(consumer, "models"));
            File.Copy(Path.Combine(root, "models", "inception-mini", "inception-mini.schema.json"), Path.Combine(consumer, "models", "inception-mini.schema.json"));
            var globalPackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            File.WriteAllText(Path.Combine(consumer, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <clear />
                    <add key="local" value="{feed}" />
                    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
                  </packageSources>
                  <fallbackPackageFolders>
                    <add key="global" value="{globalPackages}" />
                  </fallbackPackageFolders>
                </configuration>
                """);
            File.WriteAllText(Path.Combine(consumer, "Consumer.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <TargetFramework>net10.0</TargetFramework>
                    <OutputType>Exe</OutputType>
                    <Nullable>enable</Nullable>
                    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                    <RestorePackagesPath>{Path.Combine(work.FullName, "packages")}</RestorePackagesPath>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="Lucid.Dsl" Version="{version}" />
                  </ItemGroup>
                </Project>
                """);
            const string program = """
                using System;
                using Lucid.Dsl;
                Console.WriteLine($"{InceptionMini.Name} {InceptionMini.Taps.Mixed4a.Channels} {InceptionMini.LabelName(InceptionMini.Label.SolidRing)} {StripesRender.Steps}");
                [LucidModel("models/inception-mini.schema.json")] static partial class InceptionMini;
                [Objective] partial class Stripes { [Channel("mixed4a", CHANNEL)] public partial Term Unit { get; } }
                [FourierImage(Width = 64)] partial class Canvas;
                [Render(typeof(Canvas), typeof(Stripes), Steps = 16)] partial class StripesRender;
                """;
            File.WriteAllText(Path.Combine(consumer, "Program.cs"), program.Replace("CHANNEL", "97"));
            Dotnet(consumer, "build");
            var output = Dotnet(consumer, "run --no-build");
            Assert.Equal("inception-mini 156 solid ring 16", output.Trim());

            File.WriteAllText(Path.Combine(consumer, "Program.cs"), program.Replace("CHANNEL", "156"));
            var failure = Dotnet(consumer, "build", expectSuccess: false);
            Assert.Contains("error LUCID002: Channel 156 is out of range: tap 'mixed4a' of model 'inception-mini' has 156 channels", failure);
        }
        finally
        {
            try { work.Delete(recursive: true); } catch (IOException) { }
        }
    }

    private static string Dotnet(string directory, string arguments, bool expectSuccess = true)
    {
        var start = new ProcessStartInfo("dotnet", arguments)
        {
            WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        var text = stdout.Result + stderr.Result;
        if (expectSuccess) Assert.True(process.ExitCode == 0, $"dotnet {arguments} failed ({process.ExitCode}):\n{text}");
        else Assert.True(process.ExitCode != 0, $"dotnet {arguments} succeeded but should have failed:\n{text}");
        return text;
    }

    /// <summary>The checkout the tests run from (found above the test binaries; CI maps source paths to "/_/").</summary>
    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Lucid.Dsl.sln"))) return dir.FullName;
        throw new InvalidOperationException("repository root (Lucid.Dsl.sln) not found");
    }
}
