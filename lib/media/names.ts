/** Media resource names: what Azure Media Services accepts (letters, digits, '-', '_', '.', up to 260). */
export const resourceNamePattern = /^[A-Za-z0-9_.-]{1,260}$/;
