using LogpushKit.Cli.Commands;
using LogpushKit.Cli.Infrastructure;

var root = CliApplication.CreateRootCommand();
root.Subcommands.Add(ConvertCommand.Create());
root.Subcommands.Add(RunCommand.Create());
root.Subcommands.Add(ConsumeCommand.Create());
root.Subcommands.Add(SetupCommand.Create());
root.Subcommands.Add(JobsCommand.Create());
root.Subcommands.Add(FieldsCommand.Create());
root.Subcommands.Add(DatasetsCommand.Create());
root.Subcommands.Add(NotificationsCommand.Create());
root.Subcommands.Add(QueuesCommand.Create());
root.Subcommands.Add(StatusCommand.Create());
// One line per command: root.Subcommands.Add(XxxCommand.Create());
return await CliApplication.InvokeAsync(root, args);
