//! A stand-in for Windows' tar.exe under Wine, which has none: only `tar -xf ARCHIVE.zip -C DIR`
//! (what a web-mode setup.exe runs to unpack a runtime package). Test prefixes only.
const std = @import("std");

fn fail(comptime fmt: []const u8, args: anytype) u8 {
    std.debug.print("tar: " ++ fmt ++ "\n", args);
    return 2;
}

pub fn main(init: std.process.Init) u8 {
    const io = init.io;
    const args = init.minimal.args.toSlice(init.arena.allocator()) catch return fail("cannot read the arguments", .{});
    var archive: ?[]const u8 = null;
    var dest: []const u8 = ".";
    var i: usize = 1;
    while (i < args.len) : (i += 1) {
        const a = args[i];
        if (std.mem.eql(u8, a, "-xf") and i + 1 < args.len) {
            i += 1;
            archive = args[i];
        } else if (std.mem.eql(u8, a, "-C") and i + 1 < args.len) {
            i += 1;
            dest = args[i];
        } else {
            return fail("unsupported argument {s} (this stand-in knows only -xf ARCHIVE -C DIR)", .{a});
        }
    }
    const path = archive orelse return fail("no archive (-xf ARCHIVE)", .{});
    const cwd = std.Io.Dir.cwd();
    var file = cwd.openFile(io, path, .{}) catch |err| return fail("cannot open {s}: {t}", .{ path, err });
    defer file.close(io);
    var dir = cwd.openDir(io, dest, .{}) catch |err| return fail("cannot open the folder {s}: {t}", .{ dest, err });
    defer dir.close(io);
    var buf: [64 * 1024]u8 = undefined;
    var reader = file.reader(io, &buf);
    extract(io, dir, &reader) catch |err| return fail("cannot extract {s}: {t}", .{ path, err });
    return 0;
}

/// std.zip.extract, except that a file already there is replaced (as tar.exe does): an
/// upgrade unpacks a runtime over the one it replaces.
fn extract(io: std.Io, dest: std.Io.Dir, reader: *std.Io.File.Reader) !void {
    var iter = try std.zip.Iterator.init(reader);
    var name_buf: [std.fs.max_path_bytes]u8 = undefined;
    while (try iter.next()) |entry| {
        const name = try entry.getFilename(reader, &name_buf, .{ .allow_backslashes = true });
        if (name[name.len - 1] == '/') {
            try dest.createDirPath(io, name[0 .. name.len - 1]);
            continue;
        }
        var parent = if (std.fs.path.dirname(name)) |d| try dest.createDirPathOpen(io, d, .{}) else dest;
        defer if (std.fs.path.dirname(name) != null) parent.close(io);
        const out = try parent.createFile(io, std.fs.path.basename(name), .{ .truncate = true });
        defer out.close(io);
        var out_buf: [64 * 1024]u8 = undefined;
        var writer = out.writer(io, &out_buf);
        entry.extractTo(reader, &writer.interface) catch |err| switch (err) {
            error.WriteFailed => return writer.err orelse err,
            else => return err,
        };
        try writer.end();
    }
}
