// kafkajs's ACL enums. kafkajs is CommonJS, and Node's ESM loader (tsx, the servers, the
// workers) does not find these among its named exports, so they are read off its default one.
import kafkajs from 'kafkajs';

export const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } = kafkajs;
export type AclOperationTypes = import('kafkajs').AclOperationTypes;
export type AclPermissionTypes = import('kafkajs').AclPermissionTypes;
export type AclResourceTypes = import('kafkajs').AclResourceTypes;
export type ResourcePatternTypes = import('kafkajs').ResourcePatternTypes;
