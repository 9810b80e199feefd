/**
 * A serverless plugin (serverless.yml, plugins) that removes what serverless-esbuild
 * leaves in the OS temporary folder.
 *
 * serverless-esbuild stages every function's zip in `<tmpdir>/<name>-<pid>-<ms>-<hex>`
 * and means to remove it afterwards, but its removal is not recursive and fails in
 * silence on the full folder (floydspace/serverless-esbuild#589), so each packaging
 * leaves about 4 MB per function behind, about 60 MB per `serverless deploy` here.
 * Once the zips are written, this removes the staging folders of this process only:
 * the name must be one of the service's functions (or the service itself), followed
 * by this process's id, a time and eight hex digits, and be a real folder of ours.
 */
'use strict';

const { lstatSync, readdirSync, rmSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');

/** Removes this process's staging folders for the given zip names; returns how many. */
function removeZipStaging(names, directory = os.tmpdir(), pid = process.pid) {
  const pattern = new RegExp(`^(.+)-${pid}-\\d+-[0-9a-f]{8}$`);
  const wanted = new Set(names);
  let removed = 0;
  for (const entry of readdirSync(directory)) {
    const match = pattern.exec(entry);
    if (match === null || !wanted.has(match[1])) continue;
    const full = path.join(directory, entry);
    const stats = lstatSync(full, { throwIfNoEntry: false });
    if (stats === undefined || !stats.isDirectory() || (typeof process.getuid === 'function' && stats.uid !== process.getuid())) continue;
    rmSync(full, { recursive: true, force: true });
    removed += 1;
  }
  return removed;
}

class ZipStagingCleanup {
  constructor(serverless, options, utils) {
    const clean = () => {
      const service = serverless.service;
      const removed = removeZipStaging([...Object.keys(service.functions ?? {}), String(service.service)]);
      utils?.log?.verbose?.(`Removed ${removed} zip staging folder(s) serverless-esbuild left in ${os.tmpdir()}`);
    };
    this.hooks = {
      'after:package:createDeploymentArtifacts': clean,
      'after:deploy:function:packageFunction': clean,
    };
  }
}

module.exports = ZipStagingCleanup;
module.exports.removeZipStaging = removeZipStaging;
