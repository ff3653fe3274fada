using System.CommandLine;

var root = new RootCommand("logpushkit — Cloudflare Logpush objects to SIEM-ready CSV.");
return root.Parse(args).Invoke();
