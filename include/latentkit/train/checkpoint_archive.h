#pragma once
// The container of a checkpoint, checked before LibTorch's zip reader and unpickler see it.
// Those trust the file: LibTorch 1.13 can abort, or read out of bounds, on a crafted archive.
// A checkpoint is a zip archive of stored (uncompressed) records under one folder: data.pkl
// (the pickle), version, and data/<n> (tensor bytes), as torch.save writes it.
#include <string>
#include <string_view>

namespace latentkit {

// Throws InputError "<path>: not a readable checkpoint (<why>)" unless `bytes` is such an
// archive: an end-of-directory record (zip64 where the sizes need it), a central directory
// inside the file whose every entry is stored, lies with its local header inside the file
// before the directory, and belongs to the one folder, with a data.pkl of at most 64 MB and
// a version record.
void check_checkpoint_archive(const std::string& path, std::string_view bytes);

}  // namespace latentkit
