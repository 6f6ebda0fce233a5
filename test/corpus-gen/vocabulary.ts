/**
 * The vocabulary of the corpus generator: the words identifiers, variable and output names
 * are drawn from, and the images, connectors and display names steps use.
 */

export const STEP_WORDS = [
  'build',
  'test',
  'lint',
  'package',
  'publish',
  'scan',
  'deploy',
  'verify',
  'migrate',
  'seed',
  'notify',
  'bundle',
  'compile',
  'check',
  'smoke',
  'release',
  'cache',
  'setup',
  'report',
  'sign',
];
export const STAGE_WORDS = [
  'build',
  'test',
  'integration',
  'security',
  'deploy_dev',
  'deploy_prod',
  'approve',
  'release',
  'e2e',
  'docs',
  'quality',
  'promote',
];
export const VAR_WORDS = [
  'env',
  'region',
  'service',
  'version',
  'branch_name',
  'targets',
  'team',
  'cluster',
  'image_tag',
  'mode',
  'channel',
  'tier',
];
export const STAGE_VAR_WORDS = ['ENV', 'NAMESPACE', 'TAG', 'PROFILE', 'TARGET', 'REPLICAS'];
export const OUT_WORDS = ['VERSION', 'IMAGE_TAG', 'ARTIFACT', 'STATUS', 'SHA', 'URL', 'COUNT', 'RESULT'];
export const IMAGES = [
  'golang:1.22',
  'node:20-alpine',
  'python:3.12-slim',
  'maven:3.9-eclipse-temurin-17',
  'alpine:3.19',
  'ubuntu:22.04',
  'gradle:8-jdk17',
  'rust:1.77',
  'hashicorp/terraform:1.7',
  'mcr.microsoft.com/powershell:latest',
];
export const CONNECTORS = ['account.harnessImage', 'account.dockerhub', 'org.gcr_connector', 'dockerhub_ro', 'account.ecr'];
export const NAMES_UNICODE = ['Déploiement', 'Prüfung', 'テスト', 'naïve build', 'Ünit tests ✓'];
