// The client side of the conduit language server: starts `conduitc lsp`
// for `.conduit` files and hands it the workspace.
'use strict';

const vscode = require('vscode');
const { LanguageClient, TransportKind } = require('vscode-languageclient/node');

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration('conduit');
  const command = config.get('server.path') || 'conduitc';
  const today = config.get('server.today');
  const server = { command, args: ['lsp'], transport: TransportKind.stdio };
  client = new LanguageClient(
    'conduit',
    'Conduit language server',
    { run: server, debug: server },
    {
      documentSelector: [{ scheme: 'file', language: 'conduit' }],
      initializationOptions: today ? { today } : {},
      synchronize: {
        fileEvents: vscode.workspace.createFileSystemWatcher('**/*.conduit'),
      },
    },
  );
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
