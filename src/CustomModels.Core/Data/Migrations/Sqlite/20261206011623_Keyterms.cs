using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CustomModels.Core.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Keyterms : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Keyterms",
                table: "transcriptions",
                type: "TEXT",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "Keyterms",
                table: "transcriptions");
        }
    }
}
