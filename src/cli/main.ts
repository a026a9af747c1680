/** Entry point of the ftpcap command (placeholder until the CLI stage lands). */
export async function main(argv: string[]): Promise<number> {
  process.stdout.write(`ftpcap: ${argv.join(" ")}\n`);
  return 0;
}
