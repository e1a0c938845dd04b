import { Argument, type Command } from 'commander';

export function register(program: Command): void {
  program
    .command('completion')
    .description('print a shell completion script (commands, options, --env values from the config)')
    .addArgument(new Argument('<shell>', 'bash, zsh or fish').choices(['bash', 'zsh', 'fish']))
    .addHelpText('after', '\nLoad it with:\n  bash  source <(mb-sync completion bash)\n  zsh   source <(mb-sync completion zsh)   (after compinit)\n  fish  mb-sync completion fish | source')
    .action(async (shell: 'bash' | 'zsh' | 'fish', _options: unknown, command: Command) => {
      const { completionScript, completionSpec } = await import('../completion-script.ts');
      process.stdout.write(completionScript(completionSpec(command.parent as Command), shell));
    });
}
