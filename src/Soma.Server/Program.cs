using Soma.Server.Cli;

return await SomaCommandLine.InvokeAsync(args);
