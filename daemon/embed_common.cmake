# What the embedding scripts (embed.cmake, embed_assets.cmake) share: a file as C byte
# initialisers, and writing the generated source only when it changed, so an unchanged input
# does not rebuild liaisond.

# Sets out_var to the bytes of file as "0x2f,0x2a,..." (each followed by a comma).
function(embed_file_bytes file out_var)
    file(READ ${file} hex HEX)
    string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
    set(${out_var} "${bytes}" PARENT_SCOPE)
endfunction()

# Writes text to out unless out already holds it.
function(embed_write out text)
    file(WRITE ${out}.tmp "${text}")
    file(COPY_FILE ${out}.tmp ${out} ONLY_IF_DIFFERENT)
endfunction()
