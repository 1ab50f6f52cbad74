using Lucid.Tensors;
using Xunit;

namespace Lucid.Imaging.Tests;

public class ImageGridTests
{
    private static Image Solid(int w, int h, byte r, byte g, byte b)
    {
        var image = new Image(w, h, 3);
        for (int i = 0; i < w * h; i++) { image.Pixels[3 * i] = r; image.Pixels[3 * i + 1] = g; image.Pixels[3 * i + 2] = b; }
        return image;
    }

    [Fact]
    public void Grid_PlacesEachImageInItsCell_CentredAndScaled()
    {
        var images = new[] { Solid(4, 4, 255, 0, 0), Solid(2, 2, 0, 255, 0), Solid(4, 4, 0, 0, 255) };
        var grid = ImageGrid.Compose(images, columns: 2, scale: 2, padding: 3);
        // cells 8×8 (the largest image at scale 2), two columns, two rows, padding 3
        Assert.Equal((3 + 2 * (8 + 3), 3 + 2 * (8 + 3)), (grid.Width, grid.Height));
        Assert.Equal((255, 0, 0), (grid[3, 3, 0], grid[3, 3, 1], grid[3, 3, 2]));              // red cell, top-left pixel
        Assert.Equal((0, 255, 0), (grid[3 + 2, 14 + 2, 0], grid[3 + 2, 14 + 2, 1], grid[5, 16, 2]));   // green 4×4 centred in its 8×8 cell
        Assert.Equal((255, 255, 255), (grid[3, 14, 0], grid[3, 14, 1], grid[3, 14, 2]));        // the green cell's margin stays white
        Assert.Equal(0, grid[14, 3, 0]);                                                          // blue cell, second row
        Assert.Equal(255, grid[14, 3, 2]);
    }

    [Fact]
    public void Labels_AreDrawnUnderTheirCells_WithTheBitmapFont()
    {
        var images = new[] { Solid(20, 10, 200, 200, 200), Solid(20, 10, 200, 200, 200) };
        var grid = ImageGrid.Compose(images, new[] { "I", "" }, columns: 2, padding: 0);
        Assert.Equal(10 + BitmapFont.Height + 3, grid.Height);
        // "I" (width 5) is centred under cell 0 starting at x = (20 − 5) / 2 = 7, y = 12: its top row is .###.
        var top = Enumerable.Range(7, 5).Select(x => grid[12, x, 0] == 0).ToArray();
        Assert.Equal(new[] { false, true, true, true, false }, top);
        // its stem: the middle column is black in every row
        Assert.All(Enumerable.Range(12, BitmapFont.Height), y => Assert.Equal(0, grid[y, 9, 0]));
        // the second cell has no label: its label strip stays white
        Assert.All(Enumerable.Range(20, 20), x => Assert.All(Enumerable.Range(10, BitmapFont.Height + 3), y => Assert.Equal(255, grid[y, x, 0])));
    }

    [Fact]
    public void Font_CoversLettersDigitsAndPunctuation_AndMarksTheRest()
    {
        foreach (var c in "abcxyzABC0123456789 -_.:,/()%+=#'")
            Assert.NotEqual(BitmapFont.Glyph('?'), BitmapFont.Glyph(c));
        Assert.Equal(BitmapFont.Glyph('?'), BitmapFont.Glyph('€'));
        Assert.Equal(BitmapFont.Glyph('A'), BitmapFont.Glyph('a'));
        Assert.Equal(BitmapFont.Advance * 3 - 1, BitmapFont.Width("abc"));
        // every glyph stays inside its 5×7 box
        foreach (var c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
            Assert.All(BitmapFont.Glyph(c), row => Assert.InRange(row, 0, 31));
    }

    [Fact]
    public void FromBatch_IsDeterministic_AndBadInputIsRefused()
    {
        var rng = new Rng(4);
        using var batch = rng.Uniform(new[] { 5, 3, 8, 8 });
        var a = ImageGrid.FromBatch(batch, new[] { "ch 0", "ch 1", "ch 2", "ch 3", "ch 4" }, scale: 3);
        var b = ImageGrid.FromBatch(batch, new[] { "ch 0", "ch 1", "ch 2", "ch 3", "ch 4" }, scale: 3);
        Assert.Equal(a.Pixels, b.Pixels);
        Assert.Equal(Png.Encode(a), Png.Encode(b));
        Assert.Contains("5 images need 5 labels, got 2", Assert.Throws<LucidArgumentException>(() => ImageGrid.FromBatch(batch, new[] { "a", "b" })).Message);
        Assert.Throws<LucidArgumentException>(() => ImageGrid.Compose(Array.Empty<Image>()));
    }
}
