import path from 'node:path';
import ts from 'typescript';

/** The IAM action each AWS SDK command the functions may send needs. */
const commandActions: Record<string, string[]> = {
  GetCommand: ['dynamodb:GetItem'],
  PutCommand: ['dynamodb:PutItem'],
  UpdateCommand: ['dynamodb:UpdateItem'],
  DeleteCommand: ['dynamodb:DeleteItem'],
  QueryCommand: ['dynamodb:Query'],
  ScanCommand: ['dynamodb:Scan'],
  BatchGetCommand: ['dynamodb:BatchGetItem'],
  BatchWriteCommand: ['dynamodb:BatchWriteItem'],
  // A transaction needs the actions of the items it holds (collected from the items below).
  TransactWriteCommand: [],
  TransactGetCommand: ['dynamodb:GetItem'],
  StartExecutionCommand: ['states:StartExecution'],
  StopExecutionCommand: ['states:StopExecution'],
  DescribeExecutionCommand: ['states:DescribeExecution'],
  SendTaskSuccessCommand: ['states:SendTaskSuccess'],
  SendTaskFailureCommand: ['states:SendTaskFailure'],
  SendEmailCommand: ['ses:SendEmail'],
  GetAccountCommand: ['ses:GetAccount'],
  CreateEmailTemplateCommand: ['ses:CreateEmailTemplate'],
  DeleteEmailTemplateCommand: ['ses:DeleteEmailTemplate'],
  GetSecretValueCommand: ['secretsmanager:GetSecretValue'],
};

/** The items of a TransactWriteItems request, by their key in the request. */
const transactItemActions: Record<string, string> = {
  Put: 'dynamodb:PutItem',
  Update: 'dynamodb:UpdateItem',
  Delete: 'dynamodb:DeleteItem',
  ConditionCheck: 'dynamodb:ConditionCheckItem',
};

/**
 * The actions a function's code can send: every AWS SDK command constructed in the code reachable
 * from functions/<entry>.ts, following references declaration by declaration (an imported
 * repository function counts, an unused one beside it does not), plus the items of its
 * transactions. A static over-approximation of one path through the code, not a trace of a run:
 * it needs no AWS and no mocks, and it sees every branch.
 */
export function sentActions(projectRoot: string, entries: readonly string[]): Map<string, string[]> {
  const files = entries.map((entry) => path.join(projectRoot, 'functions', `${entry}.ts`));
  const program = ts.createProgram(files, {
    target: ts.ScriptTarget.ES2023,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    strict: true,
    skipLibCheck: true,
    resolveJsonModule: true,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const own = (node: ts.Node) => {
    const file = node.getSourceFile().fileName;
    return file.startsWith(projectRoot) && !file.includes('node_modules') && !file.endsWith('.d.ts');
  };

  const result = new Map<string, string[]>();
  entries.forEach((entry, index) => {
    const source = program.getSourceFile(files[index]!);
    if (!source) throw new Error(`functions/${entry}.ts is not in the program`);
    const actions = new Set<string>();
    const visited = new Set<ts.Node>();
    const visit = (node: ts.Node): void => {
      if (ts.isNewExpression(node) && ts.isIdentifier(node.expression)) {
        const declaration = declarationsOf(checker, node.expression)[0];
        const name = node.expression.text;
        if (declaration && !own(declaration) && name.endsWith('Command')) {
          const mapped = commandActions[name];
          if (!mapped) throw new Error(`functions/${entry}: no IAM action is known for ${name}; add it to commandActions`);
          mapped.forEach((action) => actions.add(action));
        }
      }
      if (ts.isPropertyAssignment(node) && ts.isIdentifier(node.name) && transactItemActions[node.name.text]) {
        actions.add(transactItemActions[node.name.text]!);
      }
      if (ts.isIdentifier(node)) {
        for (const declaration of declarationsOf(checker, node)) {
          if (!own(declaration) || visited.has(declaration)) continue;
          visited.add(declaration);
          visit(declaration);
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
    result.set(entry, [...actions].sort());
  });
  return result;
}

function declarationsOf(checker: ts.TypeChecker, identifier: ts.Identifier): ts.Declaration[] {
  let symbol = checker.getSymbolAtLocation(identifier);
  if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
  return symbol?.declarations ?? [];
}
