using EmailApi.Hosting;

// `serve` (the default) and `keys ...`, with --help; anything else on the command line is
// configuration the ASP.NET Core way (--Section:Key=value). See Hosting/CommandLine.cs.
return await CommandLine.RunAsync(args);

public partial class Program;
