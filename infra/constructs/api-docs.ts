import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { Construct } from 'constructs';
import path from 'node:path';
import { LeadflowFunction } from './api-function';
import type { LeadflowHttpApi } from './http-api';

export interface ApiDocsProps {
  api: LeadflowHttpApi;
}

/** The API's own description: `GET /openapi.json`, public, generated from the zod schemas. It touches no data. */
export class ApiDocs extends Construct {
  constructor(scope: Construct, id: string, props: ApiDocsProps) {
    super(scope, id);
    const getOpenApi = new LeadflowFunction(this, 'GetOpenApi', {
      entry: 'get-openapi',
      description: 'Serves the OpenAPI 3.1 document of the HTTP API',
      memorySize: 256,
      // The document is generated from the zod schemas at build time and shipped in the bundle.
      afterBundling: (inputDir, outputDir) => [
        `"${path.join(inputDir, 'node_modules', '.bin', 'tsx')}" "${path.join(inputDir, 'scripts', 'write-openapi.ts')}" "${path.join(outputDir, 'openapi.json')}"`,
      ],
    });
    props.api.route(HttpMethod.GET, '/openapi.json', getOpenApi.fn);
  }
}
