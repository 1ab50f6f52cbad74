// the namespaces every command file uses
global using System.CommandLine;
global using System.Diagnostics;
global using System.Globalization;
global using Lucid.Interfaces;
global using Lucid.Models.Data;
global using Lucid.Models.Graph;
global using Lucid.Models.Training;
