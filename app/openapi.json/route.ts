// GET /openapi.json: the API's OpenAPI 3.1 description.
import { NextResponse } from 'next/server';
import { openApiDocument } from '@/lib/openapi/document';

export const dynamic = 'force-static';

export function GET() {
  return NextResponse.json(openApiDocument());
}
