/**
 * Node's modules that only some reads need, loaded at their first use: zlib
 * and stream (a compressed file, a pipe), net and tty (a pipe, a socket, a
 * terminal, an address to test), dns (`last -d`). The CLI's commands start
 * without them.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
export const zlib = (): typeof import('zlib') => require('zlib');
export const net = (): typeof import('net') => require('net');
export const stream = (): typeof import('stream') => require('stream');
export const tty = (): typeof import('tty') => require('tty');
export const dns = (): typeof import('dns') => require('dns');
